package io.tfjsrun.flink.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

/** A local streaming TableEnvironment for the tests, and reading what a query gives. */
final class SqlTests {
  private SqlTests() {}

  /** {@code parallelism} subtasks, and network memory for the local cluster's exchanges (its default is too small here). */
  static TableEnvironment env(int parallelism) {
    Configuration conf = new Configuration();
    conf.setString("parallelism.default", String.valueOf(parallelism));
    conf.setString("taskmanager.memory.network.min", "128mb");
    conf.setString("taskmanager.memory.network.max", "128mb");
    return TableEnvironment.create(EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf).build());
  }

  static List<Row> collect(TableEnvironment env, String query) throws Exception {
    List<Row> out = new ArrayList<>();
    try (CloseableIterator<Row> it = env.executeSql(query).collect()) {
      it.forEachRemaining(out::add);
    }
    return out;
  }

  /**
   * {@code rows} as a temporary view {@code name} (id, f0, f1, ...): each row its index, then its
   * values as FLOATs. Returns the feature columns listed ("f0, f1, ...").
   */
  static String rowsView(TableEnvironment env, String name, float[][] rows) {
    StringJoiner columns = new StringJoiner(", ");
    for (int c = 0; c < rows[0].length; c++) columns.add("f" + c);
    StringJoiner values = new StringJoiner(", ");
    for (int r = 0; r < rows.length; r++) {
      StringJoiner v = new StringJoiner(", ", "(" + r + ", ", ")");
      for (float x : rows[r]) v.add("CAST(" + x + " AS FLOAT)");
      values.add(v.toString());
    }
    env.executeSql("CREATE TEMPORARY VIEW " + name + " AS SELECT * FROM (VALUES " + values + ") AS t(id, " + columns + ")");
    return columns.toString();
  }

  /** Every message in {@code e}'s chain of causes, for asserting on the one that names the problem. */
  static String causes(Throwable e) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) out.append(t.getMessage()).append(" | ");
    return out.toString();
  }
}
