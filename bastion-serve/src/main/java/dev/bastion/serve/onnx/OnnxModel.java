package dev.bastion.serve.onnx;

import ai.onnxruntime.MapInfo;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.SequenceInfo;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import dev.bastion.core.BadInputException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An imported ONNX classifier, run by ONNX Runtime: one float input of {@code F} features per row,
 * class probabilities out.
 *
 * <p>Security guarantees:
 *
 * <ul>
 *   <li>The model is read from the bytes given, never from a path: the bytes a caller verified
 *       (digest, signature, chain) are the bytes that run. No file is read, since models whose
 *       tensors live in external data files are refused before ONNX Runtime parses them.
 *   <li>No custom operator library is ever registered, and nodes outside the standard ONNX
 *       domains ({@code ""}, {@code ai.onnx}, {@code ai.onnx.ml}) are refused, as are model-local
 *       functions and training information.
 *   <li>ONNX Runtime's telemetry is switched off where its environment is created; the launcher
 *       must also set {@code ORT_DISABLE_TELEMETRY=1}.
 *   <li>{@link #parse} refuses anything it cannot serve with a {@link BadInputException} whose
 *       message is one line, whatever the bytes: errors from ONNX Runtime on a crafted file are
 *       reported the same way.
 * </ul>
 *
 * <p>Accepted forms (see {@code docs/onnx.md}): exactly one input, a float tensor {@code [N, F]}
 * with {@code F} fixed and {@code N} symbolic or fixed; and an output of class probabilities,
 * either a float tensor {@code [N, C]} or a sequence of maps from class label to float (the
 * {@code ZipMap} output of sklearn-onnx). When the model has several outputs (sklearn-onnx's
 * {@code label} and {@code probabilities}), the one probability output is used, or the one named
 * {@code probabilities} when there are several. The model is run once on a row of zeros when
 * parsed, so that a model that does not run, or does not give probabilities, is refused at import.
 *
 * <p>{@link #predict} is thread-safe. {@link #close} waits for running predictions and releases
 * the native session; later predictions fail with {@link IllegalStateException}.
 */
public final class OnnxModel implements AutoCloseable {
  /** Larger model files are refused (ONNX Runtime itself stops at 2 GiB, protobuf's limit). */
  public static final int MAX_MODEL_BYTES = 256 << 20;

  /** Output columns beyond this are refused: a classifier, not an embedding. */
  public static final int MAX_CLASSES = 10_000;

  /** Features beyond this are refused. */
  public static final int MAX_FEATURES = 100_000;

  /** Rows given to ONNX Runtime in one run; larger requests run in several. */
  static final int MAX_BATCH = 1024;

  /** How far a row of probabilities may sum from 1 (float arithmetic in the model). */
  static final double SUM_TOLERANCE = 1e-3;

  private final OrtSession session;
  private final String where;
  private final String inputName;
  private final String outputName;
  private final int features;
  private final int fixedBatch;
  private final List<String> classes;
  // For a sequence-of-maps output: the map key of each class, in the order of classes.
  private final List<Object> mapKeys;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed;

  private OnnxModel(OrtSession session, String where, String inputName, String outputName,
      int features, int fixedBatch, List<String> classes, List<Object> mapKeys) {
    this.session = session;
    this.where = where;
    this.inputName = inputName;
    this.outputName = outputName;
    this.features = features;
    this.fixedBatch = fixedBatch;
    this.classes = List.copyOf(classes);
    this.mapKeys = List.copyOf(mapKeys);
  }

  /**
   * Loads a classifier with default class labels: {@code "0"} to {@code "C-1"}, or the map keys
   * of a sequence-of-maps output.
   *
   * @see #parse(byte[], String, List)
   */
  public static OnnxModel parse(byte[] bytes, String where) throws BadInputException {
    return parse(bytes, where, List.of());
  }

  /**
   * Loads a classifier from the bytes of an {@code .onnx} file and checks that Bastion can serve
   * it.
   *
   * @param bytes the whole model file; it is not kept, and never read again from anywhere
   * @param where names the model in messages, usually its file name
   * @param labels the class labels in the order of the model's probability columns, given at
   *     import since a float tensor has no names; empty for the defaults. For a sequence-of-maps
   *     output they must be the map keys, in the order to report them.
   * @return the loaded model; close it to release the native session
   * @throws BadInputException with one line naming what is wrong, for any bytes that are not a
   *     classifier Bastion serves
   */
  public static OnnxModel parse(byte[] bytes, String where, List<String> labels)
      throws BadInputException {
    if (bytes.length == 0) {
      throw new BadInputException(where + ": is empty, not an ONNX model");
    }
    if (bytes.length > MAX_MODEL_BYTES) {
      throw new BadInputException(where + ": is " + bytes.length + " bytes; models over "
          + MAX_MODEL_BYTES + " bytes (256 MiB) are not served");
    }
    if (labels.size() > MAX_CLASSES || new HashSet<>(labels).size() != labels.size()
        || labels.stream().anyMatch(String::isBlank)) {
      throw new BadInputException(where + ": the class labels must be distinct and not blank,"
          + " at most " + MAX_CLASSES);
    }
    Set<String> initializers = WireCheck.check(bytes, where);
    // Outside the try: a runtime that cannot start is not the model's fault.
    OrtEnvironment env = Ort.env();
    OrtSession session;
    try (OrtSession.SessionOptions options = Ort.options()) {
      session = env.createSession(bytes, options);
    } catch (OrtException | RuntimeException e) {
      throw new BadInputException(where + ": ONNX Runtime cannot load it: "
          + WireCheck.ortMessage(e), e);
    }
    try {
      return inspect(session, where, labels, initializers);
    } catch (BadInputException | OrtException | RuntimeException e) {
      try {
        session.close();
      } catch (OrtException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof BadInputException bad) {
        throw bad;
      }
      throw new BadInputException(where + ": ONNX Runtime cannot run it: "
          + WireCheck.ortMessage(e), e);
    }
  }

  private static OnnxModel inspect(OrtSession session, String where, List<String> labels,
      Set<String> initializers) throws BadInputException, OrtException {
    // An input with an initializer of its name has a default value (older exporters list
    // every weight as an input): it is left to that value, never fed.
    Map<String, NodeInfo> inputs = new java.util.LinkedHashMap<>(session.getInputInfo());
    inputs.keySet().removeAll(initializers);
    if (inputs.size() != 1) {
      throw new BadInputException(where + ": has " + inputs.size() + " inputs "
          + printable(inputs.keySet()) + "; Bastion serves models with exactly one float input");
    }
    NodeInfo input = inputs.values().iterator().next();
    String in = WireCheck.printable(input.getName());
    if (!(input.getInfo() instanceof TensorInfo t) || t.type != OnnxJavaType.FLOAT) {
      throw new BadInputException(where + ": input '" + in + "' is " + describe(input.getInfo())
          + "; Bastion serves models whose input is a float tensor [N, F]");
    }
    long[] shape = t.getShape();
    if (shape.length != 2) {
      throw new BadInputException(where + ": input '" + in + "' has shape " + dims(shape)
          + "; it must be [N, F]: a batch of rows of F features");
    }
    if (shape[1] == 0) {
      throw new BadInputException(where + ": input '" + in + "' has shape " + dims(shape)
          + ": a row without features");
    }
    if (shape[1] < 0) {
      throw new BadInputException(where + ": input '" + in + "' has shape " + dims(shape)
          + ": the feature count must be fixed");
    }
    if (shape[1] > MAX_FEATURES) {
      throw new BadInputException(where + ": input '" + in + "' has " + shape[1]
          + " features; at most " + MAX_FEATURES + " are served");
    }
    if (shape[0] > MAX_BATCH) {
      throw new BadInputException(where + ": input '" + in + "' has a fixed batch of " + shape[0]
          + " rows; at most " + MAX_BATCH + " are served");
    }
    int features = (int) shape[1];
    int fixedBatch = shape[0] > 0 ? (int) shape[0] : 0;

    NodeInfo output = probabilityOutput(session.getOutputInfo(), where);
    String outName = output.getName();
    boolean maps = output.getInfo() instanceof SequenceInfo;
    if (!maps) {
      long classCount = ((TensorInfo) output.getInfo()).getShape()[1];
      if (classCount > 0 && !labels.isEmpty() && classCount != labels.size()) {
        throw new BadInputException(where + ": output '" + WireCheck.printable(outName)
            + "' has " + classCount + " classes but " + labels.size() + " labels were given");
      }
    }

    // One run on zeros: the model runs, and its output has the shape and meaning checked below.
    OnnxModel probe = new OnnxModel(session, where, input.getName(), outName, features,
        fixedBatch, List.of(), List.of());
    int rows = Math.max(1, fixedBatch);
    Object raw = probe.runRaw(new float[rows * features], rows);
    List<String> classes;
    List<Object> keys = new ArrayList<>();
    if (maps) {
      List<Object> found = sortedKeys(raw, where, outName);
      if (labels.isEmpty()) {
        keys.addAll(found);
        classes = found.stream().map(String::valueOf).toList();
      } else {
        Map<String, Object> byName = new java.util.HashMap<>();
        found.forEach(k -> byName.put(String.valueOf(k), k));
        if (!byName.keySet().equals(Set.copyOf(labels))) {
          throw new BadInputException(where + ": output '" + WireCheck.printable(outName)
              + "' has the classes " + printable(byName.keySet())
              + ", not the labels given " + printable(labels));
        }
        labels.forEach(l -> keys.add(byName.get(l)));
        classes = labels;
      }
    } else {
      int c = columns(raw, rows);
      if (!labels.isEmpty() && labels.size() != c) {
        throw new BadInputException(where + ": output '" + WireCheck.printable(outName)
            + "' has " + c + " classes but " + labels.size() + " labels were given");
      }
      classes = labels.isEmpty()
          ? java.util.stream.IntStream.range(0, c).mapToObj(Integer::toString).toList()
          : labels;
    }
    if (classes.size() < 2 || classes.size() > MAX_CLASSES) {
      throw new BadInputException(where + ": output '" + WireCheck.printable(outName) + "' has "
          + classes.size() + " classes; a classifier served has 2 to " + MAX_CLASSES);
    }
    OnnxModel model = new OnnxModel(session, where, input.getName(), outName, features,
        fixedBatch, classes, keys);
    model.toProbabilities(raw, rows, rows);
    return model;
  }

  /** Picks the output holding class probabilities, or refuses the model. */
  private static NodeInfo probabilityOutput(Map<String, NodeInfo> outputs, String where)
      throws BadInputException {
    List<NodeInfo> candidates = new ArrayList<>();
    for (NodeInfo o : outputs.values()) {
      if (probabilities(o.getInfo())) {
        candidates.add(o);
      }
    }
    if (candidates.size() == 1) {
      return candidates.get(0);
    }
    for (NodeInfo o : candidates) {
      if (o.getName().equals("probabilities")) {
        return o;
      }
    }
    StringBuilder found = new StringBuilder();
    for (NodeInfo o : outputs.values()) {
      found.append(found.isEmpty() ? "" : ", ").append('\'')
          .append(WireCheck.printable(o.getName())).append("' ").append(describe(o.getInfo()));
    }
    throw new BadInputException(where + ": "
        + (candidates.isEmpty() ? "no output gives class probabilities"
            : candidates.size() + " outputs could give class probabilities and none is named"
                + " 'probabilities'")
        + " (outputs: " + found + "); Bastion serves a float tensor [N, C] or a sequence of"
        + " maps from label to float");
  }

  private static boolean probabilities(ValueInfo info) {
    if (info instanceof TensorInfo t) {
      long[] s = t.getShape();
      return t.type == OnnxJavaType.FLOAT && s.length == 2;
    }
    if (info instanceof SequenceInfo s && s.sequenceOfMaps) {
      MapInfo m = s.mapInfo;
      return m.valueType == OnnxJavaType.FLOAT
          && (m.keyType == OnnxJavaType.INT64 || m.keyType == OnnxJavaType.STRING);
    }
    return false;
  }

  /** The version of ONNX Runtime that runs the models, for provenance. */
  public static String runtimeVersion() {
    return Ort.env().getVersion();
  }

  /** The number of features each row must have. */
  public int features() {
    return features;
  }

  /** The model's input names; one, as served models have exactly one input. */
  public List<String> inputNames() {
    return List.of(inputName);
  }

  /** The name of the output whose probabilities {@link #predict} returns. */
  public String outputName() {
    return outputName;
  }

  /** The class labels, in the order of the columns {@link #predict} returns. */
  public List<String> classes() {
    return classes;
  }

  /**
   * Class probabilities for each row.
   *
   * @param rows rows of exactly {@link #features()} finite values
   * @return one row of {@code classes().size()} probabilities per input row, summing to 1
   * @throws BadInputException if a row has the wrong length or a value that is NaN or infinite,
   *     or the model gives something other than probabilities for these rows (a model that gives
   *     probabilities for zeros but not for every input)
   * @throws IllegalStateException if the model was closed
   */
  public double[][] predict(float[][] rows) throws BadInputException {
    for (int r = 0; r < rows.length; r++) {
      float[] row = rows[r];
      if (row == null || row.length != features) {
        throw new BadInputException(where + ": row " + r + " has "
            + (row == null ? 0 : row.length) + " values; the model takes " + features);
      }
      for (int j = 0; j < features; j++) {
        if (!Float.isFinite(row[j])) {
          throw new BadInputException(where + ": row " + r + ", feature " + j + " is " + row[j]
              + "; only finite values are accepted");
        }
      }
    }
    double[][] out = new double[rows.length][];
    int step = fixedBatch > 0 ? fixedBatch : MAX_BATCH;
    for (int start = 0; start < rows.length; start += step) {
      int n = Math.min(step, rows.length - start);
      int batch = fixedBatch > 0 ? fixedBatch : n;
      // A fixed batch size is padded with rows of zeros, whose results are dropped.
      float[] flat = new float[batch * features];
      for (int i = 0; i < n; i++) {
        System.arraycopy(rows[start + i], 0, flat, i * features, features);
      }
      double[][] p;
      try {
        p = toProbabilities(runRaw(flat, batch), batch, n);
      } catch (OrtException e) {
        throw new BadInputException(where + ": ONNX Runtime failed on rows " + start + " to "
            + (start + n - 1) + ": " + WireCheck.ortMessage(e), e);
      }
      System.arraycopy(p, 0, out, start, n);
    }
    return out;
  }

  /**
   * Runs the session on {@code batch} rows and copies the probability output out of native
   * memory: a {@code float[]} of {@code batch * C} for a tensor, a list of maps for a sequence.
   */
  private Object runRaw(float[] flat, int batch) throws OrtException {
    lock.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException(where + ": the model was closed");
      }
      OrtEnvironment env = Ort.env();
      try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(flat),
              new long[] {batch, features});
          OrtSession.Result result = session.run(Map.of(inputName, x), Set.of(outputName))) {
        Optional<OnnxValue> value = result.get(outputName);
        if (value.isEmpty()) {
          throw new OrtException("no value for output '" + outputName + "'");
        }
        return switch (value.get()) {
          case OnnxTensor t -> tensorCopy(t, batch);
          case OnnxSequence s -> mapsCopy(s);
          default -> throw new OrtException("output '" + outputName + "' is "
              + value.get().getType());
        };
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  private static Object tensorCopy(OnnxTensor t, int batch) throws OrtException {
    long[] shape = t.getInfo().getShape();
    if (t.getInfo().type != OnnxJavaType.FLOAT || shape.length != 2 || shape[0] != batch
        || shape[1] <= 0 || shape[1] > MAX_CLASSES) {
      throw new OrtException("the output is " + t.getInfo().type + " " + dims(shape)
          + ", not float [" + batch + ", C]");
    }
    FloatBuffer b = t.getFloatBuffer();
    float[] values = new float[b.remaining()];
    b.get(values);
    return new Shaped(values, (int) shape[1]);
  }

  private static List<Map<?, ?>> mapsCopy(OnnxSequence s) throws OrtException {
    List<Map<?, ?>> rows = new ArrayList<>();
    for (OnnxValue v : s.getValue()) {
      if (!(v instanceof OnnxMap m)) {
        throw new OrtException("the output sequence holds " + v.getType() + ", not maps");
      }
      rows.add(m.getValue());
    }
    return rows;
  }

  /** A copied float tensor [rows, columns]. */
  private record Shaped(float[] values, int columns) {}

  private static int columns(Object raw, int rows) throws BadInputException {
    if (raw instanceof Shaped s && s.values.length == rows * s.columns) {
      return s.columns;
    }
    throw new BadInputException("the probability output is not a tensor [N, C]");
  }

  /** The keys of the first map of a sequence-of-maps output, sorted as sklearn sorts classes. */
  private static List<Object> sortedKeys(Object raw, String where, String output)
      throws BadInputException {
    if (!(raw instanceof List<?> list) || list.isEmpty() || !(list.get(0) instanceof Map<?, ?> m)
        || m.isEmpty()) {
      throw new BadInputException(where + ": output '" + WireCheck.printable(output)
          + "' gave no class probabilities for a row of zeros");
    }
    List<Object> keys = new ArrayList<>(m.keySet());
    if (keys.stream().allMatch(k -> k instanceof Long)) {
      keys.sort((a, b) -> Long.compare((Long) a, (Long) b));
    } else {
      keys.sort((a, b) -> String.valueOf(a).compareTo(String.valueOf(b)));
    }
    return keys;
  }

  /**
   * Turns the copied output of a run of {@code batch} rows into the first {@code n} rows of
   * probabilities in the order of {@link #classes}, checking that they are probabilities.
   */
  private double[][] toProbabilities(Object raw, int batch, int n) throws BadInputException {
    int c = classes.size();
    double[][] out = new double[n][c];
    if (raw instanceof Shaped s) {
      if (s.columns != c || s.values.length != batch * c) {
        throw refuseOutput("gave " + s.columns + " columns, not " + c);
      }
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < c; j++) {
          out[i][j] = s.values[i * c + j];
        }
      }
    } else if (raw instanceof List<?> maps) {
      if (maps.size() != batch) {
        throw refuseOutput("gave " + maps.size() + " rows for " + batch);
      }
      for (int i = 0; i < n; i++) {
        Map<?, ?> m = (Map<?, ?>) maps.get(i);
        if (m.size() != c) {
          throw refuseOutput("gave " + m.size() + " classes in row " + i + ", not " + c);
        }
        for (int j = 0; j < c; j++) {
          if (!(m.get(mapKeys.get(j)) instanceof Float f)) {
            throw refuseOutput("has no probability for class '"
                + WireCheck.printable(classes.get(j)) + "' in row " + i);
          }
          out[i][j] = f;
        }
      }
    } else {
      throw refuseOutput("is neither a tensor nor a sequence of maps");
    }
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int j = 0; j < c; j++) {
        double p = out[i][j];
        if (!(p >= -SUM_TOLERANCE && p <= 1 + SUM_TOLERANCE)) {
          throw refuseOutput("gave " + p + " in row " + i + ", not a probability");
        }
        sum += p;
        // Rounding in the model's float arithmetic stays out of what callers see.
        out[i][j] = Math.min(1, Math.max(0, p));
      }
      if (Math.abs(sum - 1) > SUM_TOLERANCE) {
        throw refuseOutput("gave row " + i + " probabilities summing to " + sum + ", not 1"
            + " (a model giving scores needs a Softmax)");
      }
    }
    return out;
  }

  private BadInputException refuseOutput(String what) {
    return new BadInputException(where + ": output '" + WireCheck.printable(outputName) + "' "
        + what);
  }

  /**
   * Releases the native session once running predictions finish. Idempotent.
   *
   * @throws IllegalStateException if ONNX Runtime fails to release it
   */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(where + ": ONNX Runtime could not release the session", e);
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "OnnxModel[" + where + ", " + features + " features, classes " + classes + "]";
  }

  private static String describe(ValueInfo info) {
    return switch (info) {
      case TensorInfo t -> t.type.name().toLowerCase(java.util.Locale.ROOT) + " tensor "
          + dims(t.getShape());
      case SequenceInfo s -> s.sequenceOfMaps ? "a sequence of maps " + s.mapInfo.keyType
          + " -> " + s.mapInfo.valueType : "a sequence of " + s.sequenceType;
      case MapInfo m -> "a map " + m.keyType + " -> " + m.valueType;
      default -> "of an unsupported kind";
    };
  }

  /** A shape as [?, 4], symbolic dimensions written ?. */
  static String dims(long[] shape) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      b.append(i == 0 ? "" : ", ").append(shape[i] < 0 ? "?" : Long.toString(shape[i]));
    }
    return b.append(']').toString();
  }

  private static String printable(java.util.Collection<String> names) {
    List<String> shown = names.stream().limit(8).map(n -> "'" + WireCheck.printable(n) + "'")
        .toList();
    return shown + (names.size() > 8 ? " and " + (names.size() - 8) + " more" : "");
  }

  /** The process-wide ONNX Runtime environment, created once with its telemetry off. */
  private static final class Ort {
    private static final OrtEnvironment ENV = create();

    private static OrtEnvironment create() {
      // Fatal errors only: every error on a model comes back as an exception and is reported
      // in Bastion's one line, not also printed by ONNX Runtime.
      OrtEnvironment env =
          OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "bastion");
      try {
        // The Java API's switch for OrtApi::DisableTelemetryEvents. It only matters for builds
        // that have telemetry (Windows, and Linux from 1.29.0); the launcher's
        // ORT_DISABLE_TELEMETRY=1 covers what runs before this line.
        env.setTelemetry(false);
      } catch (OrtException e) {
        throw new IllegalStateException("cannot switch ONNX Runtime telemetry off", e);
      }
      return env;
    }

    static OrtEnvironment env() {
      return ENV;
    }

    /** Session options for untrusted models: no custom operators, few threads, ONNX only. */
    static OrtSession.SessionOptions options() throws OrtException {
      OrtSession.SessionOptions o = new OrtSession.SessionOptions();
      try {
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
        o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        // One thread per run: the gateway runs requests in parallel, not each request.
        o.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
        o.setIntraOpNumThreads(1);
        o.setInterOpNumThreads(1);
        // The ONNX protobuf format only, never the ORT flatbuffer format.
        o.addConfigEntry("session.load_model_format", "ONNX");
        // Only released operator set versions, not ones still in development.
        o.addConfigEntry("session.allow_released_opsets_only", "1");
        return o;
      } catch (OrtException | RuntimeException e) {
        o.close();
        throw e;
      }
    }

    private Ort() {}
  }
}
