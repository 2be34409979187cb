package dev.bastion.serve.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.data.Numbers;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.registry.ImportedArtifact;
import dev.bastion.train.Classifier;
import dev.bastion.train.FeatureSpec;
import dev.bastion.train.InputProfile;
import dev.bastion.train.OutputProfile;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;

/**
 * An ONNX classifier imported into Bastion, as the registry stores it and the gateway serves it:
 * the ONNX file's bytes unchanged, and a header saying which instance field feeds which input
 * column, what the probability columns are called, and the input and output profiles that the
 * gateway's guard and monitor need, computed at import from reference data.
 *
 * <p>The stored form is an {@link ImportedArtifact}: the header names the feature order, the
 * classes, the feature spec and both profiles, and the SHA-256 of the ONNX bytes after it,
 * checked on every read.
 *
 * <p>An instance is column to raw value, like a trained model's: every feature column must be
 * present and a finite number that a 32-bit float holds; no other field is accepted but the
 * label. Feature columns are numeric only, since the ONNX input is one float tensor.
 *
 * <p>{@link #predict} is thread-safe; {@link #close} releases the native session.
 */
public final class ImportedModel implements Classifier, AutoCloseable {
  public static final String FORMAT = ImportedArtifact.FORMAT;

  /**
   * The most features an imported model may take: its input profile keeps a square matrix over
   * them (the robust distance's factor), which must fit the stored header.
   */
  public static final int MAX_FEATURES = 1_000;

  private final OnnxModel onnx;
  private final byte[] onnxBytes;
  private final List<String> features;
  private final FeatureSpec spec;
  private final Optional<InputProfile> inputProfile;
  private final Optional<OutputProfile> outputProfile;

  private ImportedModel(OnnxModel onnx, byte[] onnxBytes, List<String> features, FeatureSpec spec,
      Optional<InputProfile> inputProfile, Optional<OutputProfile> outputProfile) {
    this.onnx = onnx;
    this.onnxBytes = onnxBytes;
    this.features = List.copyOf(features);
    this.spec = spec;
    this.inputProfile = inputProfile;
    this.outputProfile = outputProfile;
  }

  /** Whether {@code bytes} look like this format (its first line), before any parsing. */
  public static boolean isImported(byte[] bytes) {
    return ImportedArtifact.is(bytes);
  }

  /**
   * Imports an ONNX classifier: parses and probes it ({@link OnnxModel#parse}), checks that the
   * schema's feature columns match its input, and profiles its inputs and predictions on {@code
   * reference}, which the caller has validated against {@code schema}.
   *
   * @param file the ONNX file's bytes
   * @param where names the file in messages
   * @param labels the class labels in the order of the probability columns, or empty for the
   *     model's own (map keys, or 0 to C-1)
   * @param schema the features (its feature columns, in file order, are the model's input
   *     columns) and their declared ranges; its label column is the class
   * @param positiveClass the class whose probability is the risk score
   * @param reference rows with every feature column and the label
   * @throws BadInputException if the file is not a classifier Bastion serves, or does not fit the
   *     schema, the labels or the reference data
   */
  public static ImportedModel create(byte[] file, String where, List<String> labels,
      Schema schema, String positiveClass, Table reference) throws BadInputException {
    List<String> features = new ArrayList<>();
    Map<String, double[]> declared = new LinkedHashMap<>();
    java.util.Set<String> integers = new java.util.TreeSet<>();
    for (Schema.Column c : schema.columns()) {
      if (!schema.isFeature(c)) {
        continue;
      }
      if (!c.numeric() || c.sensitivity() != Schema.Sensitivity.KEEP) {
        throw new BadInputException(where + ": schema column '" + c.name() + "' is "
            + (c.numeric() ? c.sensitivity().spelling() : "categorical") + "; an imported ONNX"
            + " model takes numeric features kept as they are (one float tensor)");
      }
      features.add(c.name());
      declared.put(c.name(), new double[] {c.min(), c.max()});
      if (c.type() == Schema.Type.INTEGER) {
        integers.add(c.name());
      }
    }
    if (features.size() > MAX_FEATURES) {
      throw new BadInputException(where + ": the schema has " + features.size()
          + " feature columns; at most " + MAX_FEATURES + " are imported");
    }
    if (reference.rows().isEmpty()) {
      throw new BadInputException(reference.source() + ": no rows to evaluate and profile on");
    }
    int labelAt = reference.indexOf(schema.label());
    int[] at = new int[features.size()];
    for (int j = 0; j < at.length; j++) {
      at[j] = reference.indexOf(features.get(j));
      if (at[j] < 0) {
        throw new BadInputException(reference.source() + ": has no column '" + features.get(j)
            + "'");
      }
    }
    if (labelAt < 0) {
      throw new BadInputException(reference.source() + ": has no label column '"
          + schema.label() + "'");
    }
    OnnxModel onnx = OnnxModel.parse(file, where, labels);
    try {
      if (onnx.features() != features.size()) {
        throw new BadInputException(where + ": takes " + onnx.features() + " features, but the"
            + " schema has " + features.size() + " feature columns (" + String.join(", ", features)
            + ")");
      }
      Set<String> classes = new HashSet<>(onnx.classes());
      if (!classes.contains(positiveClass)) {
        throw new BadInputException(where + ": positive class '" + positiveClass
            + "' is not one of its classes " + onnx.classes() + " (set them with --labels)");
      }
      // Standardisation for the profile's distance only: the model gets the raw values.
      Map<String, double[]> numeric = new LinkedHashMap<>();
      List<Map<String, String>> rows = new ArrayList<>(reference.rows().size());
      double[] sum = new double[at.length];
      double[] sq = new double[at.length];
      for (Table.Row r : reference.rows()) {
        String truth = r.cells().get(labelAt);
        if (!classes.contains(truth)) {
          throw new BadInputException(reference.source() + ": line " + r.line() + ", column '"
              + schema.label() + "': '" + truth + "' is not one of the model's classes "
              + onnx.classes());
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (int j = 0; j < at.length; j++) {
          String raw = r.cells().get(at[j]);
          double v = number(raw, reference.source() + ": line " + r.line() + ", column '"
              + features.get(j) + "'");
          sum[j] += v;
          sq[j] += v * v;
          values.put(features.get(j), raw);
        }
        rows.add(values);
      }
      int n = rows.size();
      for (int j = 0; j < at.length; j++) {
        double mean = sum[j] / n;
        double std = Math.sqrt(Math.max(sq[j] / n - mean * mean, 0));
        numeric.put(features.get(j), new double[] {mean, std > 1e-12 ? std : 1.0});
      }
      FeatureSpec spec =
          new FeatureSpec(schema.label(), positiveClass, numeric, Map.of(), List.of());
      InputProfile in = InputProfile.fit(spec, declared, integers, rows);
      ImportedModel unprofiled =
          new ImportedModel(onnx, file, features, spec, Optional.of(in), Optional.empty());
      OutputProfile out = OutputProfile.of(unprofiled, rows, reference.source());
      return new ImportedModel(onnx, file, features, spec, Optional.of(in), Optional.of(out));
    } catch (BadInputException | RuntimeException e) {
      onnx.close();
      throw e;
    }
  }

  private static double number(String raw, String where) throws BadInputException {
    OptionalDouble parsed = Numbers.parseDecimal(raw);
    if (parsed.isEmpty()) {
      throw new BadInputException(where + ": '" + raw + "' is not "
          + (Numbers.isNonFinite(raw) ? "finite" : "a number"));
    }
    double v = parsed.getAsDouble();
    if (!Float.isFinite((float) v)) {
      throw new BadInputException(where + ": " + raw + " is beyond what the model's 32-bit"
          + " float input holds");
    }
    return v;
  }

  /** The input columns, in the order of the model's input tensor. */
  public List<String> features() {
    return features;
  }

  /** SHA-256 of the ONNX file inside. */
  public Digest fileDigest() {
    return Digest.of(onnxBytes);
  }

  @Override
  public FeatureSpec spec() {
    return spec;
  }

  @Override
  public List<String> classes() {
    return onnx.classes();
  }

  @Override
  public Optional<InputProfile> inputProfile() {
    return inputProfile;
  }

  @Override
  public Optional<OutputProfile> outputProfile() {
    return outputProfile;
  }

  @Override
  public Result predict(Map<String, String> instance, String where) throws BadInputException {
    float[] row = new float[features.size()];
    for (int j = 0; j < row.length; j++) {
      String name = features.get(j);
      String raw = instance.get(name);
      if (raw == null) {
        throw new BadInputException(where + ": field '" + name + "' is missing");
      }
      row[j] = (float) number(raw, where + ": field '" + name + "'");
    }
    if (instance.size() > row.length) {
      for (String k : instance.keySet()) {
        if (!spec.numeric().containsKey(k) && !k.equals(spec.label())) {
          throw new BadInputException(where + ": field '" + k + "' is not a model input");
        }
      }
    }
    double[] p = onnx.predict(new float[][] {row})[0];
    List<String> classes = onnx.classes();
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      if (p[k] > p[best]) {
        best = k;
      }
    }
    // Scores sorted by class name, as a trained model gives them.
    Map<String, Double> scores = new TreeMap<>();
    for (int k = 0; k < p.length; k++) {
      scores.put(classes.get(k), p[k]);
    }
    return new Result(classes.get(best), new LinkedHashMap<>(scores));
  }

  /**
   * The stored form ({@link ImportedArtifact}).
   *
   * @throws BadInputException if the header (profiles included) is too large to store
   */
  public byte[] toBytes() throws BadInputException {
    ObjectNode h = Json.object();
    ArrayNode f = h.putArray("features");
    features.forEach(f::add);
    ArrayNode c = h.putArray("classes");
    onnx.classes().forEach(c::add);
    h.set("spec", spec.toJson());
    inputProfile.ifPresent(p -> h.set("input_profile", p.toJson()));
    outputProfile.ifPresent(p -> h.set("output_profile", p.toJson()));
    return ImportedArtifact.pack(h, onnxBytes);
  }

  /**
   * Reads the stored form and loads the ONNX model (probed, as at import).
   *
   * @throws BadInputException with one line naming what is wrong, for any bytes
   */
  public static ImportedModel fromBytes(byte[] bytes, String where) throws BadInputException {
    ImportedArtifact a = ImportedArtifact.parse(bytes, where);
    JsonNode h = a.header();
    byte[] file = a.file();
    List<String> features = strings(h.path("features"), where + ": features");
    List<String> classes = strings(h.path("classes"), where + ": classes");
    if (features.size() > MAX_FEATURES) {
      throw new BadInputException(where + ": " + features.size() + " features; at most "
          + MAX_FEATURES + " are imported");
    }
    FeatureSpec spec = FeatureSpec.fromJson(h.path("spec"));
    if (!spec.categorical().isEmpty() || !spec.protectedColumns().isEmpty()
        || !spec.numeric().keySet().equals(Set.copyOf(features))
        || features.size() != spec.numeric().size()) {
      throw new BadInputException(where + ": the feature spec is not the features' numeric"
          + " columns");
    }
    Optional<InputProfile> in = Optional.empty();
    if (h.has("input_profile")) {
      InputProfile p = InputProfile.fromJson(h.get("input_profile"), where);
      if (!p.columns().equals(features)) {
        throw new BadInputException(where + ": input_profile.columns are not the features");
      }
      in = Optional.of(p);
    }
    Optional<OutputProfile> out = Optional.empty();
    if (h.has("output_profile")) {
      out = Optional.of(OutputProfile.fromJson(h.get("output_profile"), where));
    }
    OnnxModel onnx = OnnxModel.parse(file, where, classes);
    if (onnx.features() != features.size() || !onnx.classes().equals(classes)) {
      onnx.close();
      throw new BadInputException(where + ": the ONNX model takes " + onnx.features()
          + " features and gives classes " + onnx.classes() + ", not what its header says");
    }
    return new ImportedModel(onnx, file, features, spec, in, out);
  }

  private static List<String> strings(JsonNode a, String where) throws BadInputException {
    if (!a.isArray() || a.isEmpty()) {
      throw new BadInputException(where + " must be a non-empty list of names");
    }
    List<String> out = new ArrayList<>(a.size());
    for (JsonNode n : a) {
      if (!n.isTextual() || n.asText().isEmpty()) {
        throw new BadInputException(where + " must be a non-empty list of names");
      }
      out.add(n.asText());
    }
    if (new HashSet<>(out).size() != out.size()) {
      throw new BadInputException(where + " has a name twice");
    }
    return out;
  }

  /** Releases the native session once running predictions finish. */
  @Override
  public void close() {
    onnx.close();
  }

  @Override
  public String toString() {
    return "ImportedModel[" + onnx + "]";
  }
}
