package io.tfjsrun.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tfjsrun.Fixtures;
import io.tfjsrun.Prediction;
import io.tfjsrun.RuntimeOptions;
import org.junit.jupiter.api.Test;

/** The TaskManager's models: a version the runtime rolls back after it served is claimed once, by the first caller. */
class ServingModelsTest {
  @Test
  void aRollbackInTheGraceWindowIsClaimedOnceAndTheLoadedVersionFollowsIt() throws Exception {
    RuntimeOptions one = RuntimeOptions.defaults().withThreads(1);
    try (ServingModels a = ServingModels.shared("serving-models-test", one);
        ServingModels b = ServingModels.shared("serving-models-test", one)) {
      a.load(ModelUpdate.inline("sum", "v1", Fixtures.versionedBundle(1, "ok")), Fixtures.versionedBundle(1, "ok"));
      byte[] v2 = Fixtures.versionedBundle(2, "throws-on-7");
      b.load(ModelUpdate.inline("sum", "v2", v2), v2);
      assertEquals("v2", a.loadedVersion("sum"));
      Prediction p = a.predict("sum", new float[] {7, 0, 0});
      assertEquals("v1", p.version(), "v2 failed it in its grace window: v1 answered");
      assertArrayEquals(new float[] {7001, 1}, p.values());
      ServingModels.Rollback r = b.claimRollback("sum");
      assertEquals("v2", r.version());
      assertEquals("v1", r.servingAgain());
      assertNull(a.claimRollback("sum"), "claimed once");
      assertEquals("v1", a.loadedVersion("sum"));
      assertEquals(r, a.lastRollback("sum"));
    }
  }
}
