package io.tfjsrun.flink;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.OperatorMetricGroup;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Does to a function what Flink does: serializes and deserializes it (as the client ships it to
 * TaskManagers), runs N parallel instances on N threads, each with its own runtime context, and
 * calls open / map or asyncInvoke (with Flink's bounded capacity and timeouts) / close.
 */
public final class FlinkHarness {
  private FlinkHarness() {}

  /** A function after the trip from the client to a TaskManager. */
  @SuppressWarnings("unchecked")
  public static <F extends Serializable> F shipped(F function) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(function);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (F) in.readObject();
    }
  }

  /** Metrics registered by one subtask. */
  public static final class Metrics implements OperatorMetricGroup {
    public final Map<String, Gauge<?>> gauges = new ConcurrentHashMap<>();
    public final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    private final String prefix;

    Metrics(String prefix) {
      this.prefix = prefix;
    }

    @Override
    public Counter counter(String name) {
      AtomicLong value = counters.computeIfAbsent(prefix + name, k -> new AtomicLong());
      return new Counter() {
        @Override public void inc() { value.incrementAndGet(); }
        @Override public void inc(long n) { value.addAndGet(n); }
        @Override public void dec() { value.decrementAndGet(); }
        @Override public void dec(long n) { value.addAndGet(-n); }
        @Override public long getCount() { return value.get(); }
      };
    }

    @Override
    public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
      gauges.put(prefix + name, gauge);
      return gauge;
    }

    @Override
    public MetricGroup addGroup(String name) {
      return new DelegatingGroup(this, prefix + name + ".");
    }

    public Object gauge(String name) {
      Gauge<?> g = gauges.get(name);
      return g == null ? null : g.getValue();
    }
  }

  private static final class DelegatingGroup implements MetricGroup {
    private final Metrics root;
    private final String prefix;

    DelegatingGroup(Metrics root, String prefix) {
      this.root = root;
      this.prefix = prefix;
    }

    @Override
    public Counter counter(String name) {
      return root.counter(prefix.substring(root.prefix.length()) + name);
    }

    @Override
    public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
      return root.gauge(prefix.substring(root.prefix.length()) + name, gauge);
    }

    @Override
    public MetricGroup addGroup(String name) {
      return new DelegatingGroup(root, prefix + name + ".");
    }
  }

  /** The runtime context of subtask {@code index} of {@code parallelism}. */
  public static final class Context implements RuntimeContext {
    public final Metrics metrics = new Metrics("");
    private final int index;
    private final int parallelism;

    Context(int index, int parallelism) {
      this.index = index;
      this.parallelism = parallelism;
    }

    @Override
    public OperatorMetricGroup getMetricGroup() {
      return metrics;
    }

    @Override
    public TaskInfo getTaskInfo() {
      return new TaskInfo() {
        @Override public String getTaskName() { return "harness"; }
        @Override public int getIndexOfThisSubtask() { return index; }
        @Override public int getNumberOfParallelSubtasks() { return parallelism; }
        @Override public int getAttemptNumber() { return 0; }
      };
    }

    @Override
    public ClassLoader getUserCodeClassLoader() {
      return FlinkHarness.class.getClassLoader();
    }
  }

  /** What a run did: outputs by input index, and each subtask's context (its metrics). */
  public static final class Run<OUT> {
    public final List<OUT> outputs;
    public final List<Throwable> errors;
    /** Output order as emitted per subtask (input indices). */
    public final List<List<Integer>> emitted;
    public final List<Context> contexts;
    /** Gauge values each subtask saw while all subtasks were open (before any closed). */
    public final List<Map<String, Object>> gaugesWhileOpen;

    Run(int n, int parallelism) {
      outputs = new ArrayList<>(java.util.Collections.nCopies(n, null));
      errors = new ArrayList<>(java.util.Collections.nCopies(n, null));
      emitted = new ArrayList<>();
      contexts = new ArrayList<>();
      gaugesWhileOpen = new ArrayList<>();
      for (int i = 0; i < parallelism; i++) {
        emitted.add(new ArrayList<>());
        contexts.add(new Context(i, parallelism));
        gaugesWhileOpen.add(new ConcurrentHashMap<>());
      }
    }

    long failures() {
      return errors.stream().filter(e -> e != null).count();
    }
  }

  /** Runs {@code function} as {@code parallelism} subtasks; record i goes to subtask i % parallelism. */
  public static <IN, OUT> Run<OUT> map(RichMapFunction<IN, OUT> function, List<IN> input, int parallelism)
      throws Exception {
    Run<OUT> run = new Run<>(input.size(), parallelism);
    CountDownLatch allOpen = new CountDownLatch(parallelism);
    CountDownLatch allSampled = new CountDownLatch(parallelism);
    ExecutorService pool = Executors.newFixedThreadPool(parallelism);
    List<Future<?>> subtasks = new ArrayList<>();
    for (int s = 0; s < parallelism; s++) {
      final int subtask = s;
      subtasks.add(pool.submit(() -> {
        RichMapFunction<IN, OUT> instance = shipped(function);
        Context context = run.contexts.get(subtask);
        instance.setRuntimeContext(context);
        instance.open(DefaultOpenContext.INSTANCE);
        try {
          allOpen.countDown();
          allOpen.await();
          sample(context, run.gaugesWhileOpen.get(subtask));
          allSampled.countDown();
          for (int i = subtask; i < input.size(); i += parallelism) {
            try {
              OUT out = instance.map(input.get(i));
              synchronized (run) {
                run.outputs.set(i, out);
                run.emitted.get(subtask).add(i);
              }
            } catch (Exception e) {
              synchronized (run) {
                run.errors.set(i, e);
              }
            }
          }
          allSampled.await();
        } finally {
          instance.close();
        }
        return null;
      }));
    }
    for (Future<?> f : subtasks) f.get(300, TimeUnit.SECONDS);
    pool.shutdown();
    return run;
  }

  private static void sample(Context context, Map<String, Object> into) {
    context.metrics.gauges.forEach((name, gauge) -> {
      Object v = gauge.getValue();
      if (v != null) into.put(name, v);
    });
  }

  /** Options of an async run, as AsyncDataStream's arguments. */
  public static final class AsyncOptions {
    public boolean ordered = true;
    public int capacity = 100;
    public long timeoutMs = 10_000;
    /** Close each subtask right after its last asyncInvoke, with records still in flight. */
    public boolean closeWithRecordsInFlight = false;
  }

  /**
   * Runs {@code function} as AsyncDataStream.orderedWait / unorderedWait would: at most
   * {@code capacity} records in flight per subtask (asyncInvoke waits for room), Flink's timeout
   * per record, each ResultFuture completing once; emitted in input order (ordered) or in
   * completion order (unordered).
   */
  public static <IN, OUT> Run<OUT> async(RichAsyncFunction<IN, OUT> function, List<IN> input, int parallelism,
      AsyncOptions options) throws Exception {
    Run<OUT> run = new Run<>(input.size(), parallelism);
    ScheduledExecutorService timers = Executors.newScheduledThreadPool(1);
    ExecutorService pool = Executors.newFixedThreadPool(parallelism);
    AtomicInteger doubleCompletions = new AtomicInteger();
    List<Future<?>> subtasks = new ArrayList<>();
    for (int s = 0; s < parallelism; s++) {
      final int subtask = s;
      subtasks.add(pool.submit(() -> {
        RichAsyncFunction<IN, OUT> instance = shipped(function);
        Context context = run.contexts.get(subtask);
        instance.setRuntimeContext(context);
        instance.open(DefaultOpenContext.INSTANCE);
        Semaphore capacity = new Semaphore(options.capacity);
        List<HarnessResultFuture<OUT>> mine = new ArrayList<>();
        try {
          for (int i = subtask; i < input.size(); i += parallelism) {
            capacity.acquire();
            final int index = i;
            HarnessResultFuture<OUT> rf = new HarnessResultFuture<>(index, capacity, doubleCompletions, run, subtask,
                options.ordered);
            mine.add(rf);
            rf.timer = timers.schedule(() -> {
              try {
                instance.timeout(input.get(index), rf);
              } catch (Exception e) {
                rf.completeExceptionally(e);
              }
            }, options.timeoutMs, TimeUnit.MILLISECONDS);
            instance.asyncInvoke(input.get(i), rf);
          }
          if (!options.closeWithRecordsInFlight) {
            for (HarnessResultFuture<OUT> rf : mine) rf.done.await(300, TimeUnit.SECONDS);
          }
        } finally {
          instance.close();
        }
        // After close, every record handed to asyncInvoke has been completed: none is lost.
        for (HarnessResultFuture<OUT> rf : mine) {
          if (!rf.done.await(60, TimeUnit.SECONDS)) throw new AssertionError("record " + rf.index + " never completed");
        }
        if (options.ordered) {
          for (HarnessResultFuture<OUT> rf : mine) run.emitted.get(subtask).add(rf.index);
        }
        return null;
      }));
    }
    for (Future<?> f : subtasks) f.get(300, TimeUnit.SECONDS);
    pool.shutdown();
    timers.shutdownNow();
    if (doubleCompletions.get() > 0) throw new AssertionError(doubleCompletions.get() + " records completed twice");
    return run;
  }

  private static final class HarnessResultFuture<OUT> implements ResultFuture<OUT> {
    final int index;
    final CountDownLatch done = new CountDownLatch(1);
    private final Semaphore capacity;
    private final AtomicInteger doubleCompletions;
    private final Run<OUT> run;
    private final int subtask;
    private final boolean ordered;
    private final AtomicReference<Object> state = new AtomicReference<>();
    volatile ScheduledFuture<?> timer;

    HarnessResultFuture(int index, Semaphore capacity, AtomicInteger doubleCompletions, Run<OUT> run, int subtask,
        boolean ordered) {
      this.index = index;
      this.capacity = capacity;
      this.doubleCompletions = doubleCompletions;
      this.run = run;
      this.subtask = subtask;
      this.ordered = ordered;
    }

    private boolean first(Object outcome) {
      if (!state.compareAndSet(null, outcome)) {
        doubleCompletions.incrementAndGet();
        return false;
      }
      ScheduledFuture<?> t = timer;
      if (t != null) t.cancel(false);
      return true;
    }

    @Override
    public void complete(Collection<OUT> result) {
      if (!first(result)) return;
      synchronized (run) {
        run.outputs.set(index, result.iterator().next());
        if (!ordered) run.emitted.get(subtask).add(index);
      }
      capacity.release();
      done.countDown();
    }

    @Override
    public void completeExceptionally(Throwable error) {
      if (!first(error)) return;
      synchronized (run) {
        run.errors.set(index, error);
        if (!ordered) run.emitted.get(subtask).add(index);
      }
      capacity.release();
      done.countDown();
    }
  }
}
