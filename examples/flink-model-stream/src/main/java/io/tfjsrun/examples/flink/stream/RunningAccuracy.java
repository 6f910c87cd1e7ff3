package io.tfjsrun.examples.flink.stream;

import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;

/** Per model and version (the key): "model wine version v2: 170/178 correct", updated with every answer. */
final class RunningAccuracy extends RichMapFunction<Answer, String> {
  private static final long serialVersionUID = 1L;
  private transient ValueState<Tuple2<Long, Long>> counts;  // correct, total

  @Override
  public void open(org.apache.flink.api.common.functions.OpenContext context) {
    counts = getRuntimeContext().getState(new ValueStateDescriptor<>("accuracy", Types.TUPLE(Types.LONG, Types.LONG)));
  }

  @Override
  public String map(Answer a) throws Exception {
    Tuple2<Long, Long> c = counts.value();
    if (c == null) c = Tuple2.of(0L, 0L);
    c = Tuple2.of(c.f0 + (a.correct ? 1 : 0), c.f1 + 1);
    counts.update(c);
    return "model " + a.model + " version " + a.version + ": " + c.f0 + "/" + c.f1 + " correct";
  }
}
