package org.apache.flink.api.common.functions;

import java.io.Serializable;
import org.apache.flink.annotation.Public;

/** Stand-in: Flink 2.x {@code AbstractRichFunction} (same public members as in Flink). */
@Public
public abstract class AbstractRichFunction implements RichFunction, Serializable {
  private static final long serialVersionUID = 1L;

  private transient RuntimeContext runtimeContext;

  @Override
  public void setRuntimeContext(RuntimeContext t) {
    if (this.runtimeContext == null) {
      this.runtimeContext = t;
    } else {
      throw new IllegalStateException("The runtime context has already been initialized.");
    }
  }

  @Override
  public RuntimeContext getRuntimeContext() {
    if (this.runtimeContext != null) return this.runtimeContext;
    throw new IllegalStateException("The runtime context has not been initialized.");
  }

  @Override
  public IterationRuntimeContext getIterationRuntimeContext() {
    throw new IllegalStateException("This stub is not part of an iteration step function.");
  }

  @Override
  public void open(OpenContext openContext) throws Exception {}

  @Override
  public void close() throws Exception {}
}
