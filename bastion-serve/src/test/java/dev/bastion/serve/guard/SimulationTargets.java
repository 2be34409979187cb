package dev.bastion.serve.guard;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.data.ArffReader;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.train.Classifier;
import dev.bastion.train.TabularModel;
import dev.bastion.train.TrainParams;
import dev.bastion.train.Trainer;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The project's data sets with a model trained on each by the project's own trainer, as the
 * targets of the extraction simulation. Surefire runs in the module directory, hence the {@code
 * ..}.
 */
final class SimulationTargets {
  static final Path DATASETS = Path.of("..", "datasets");

  /**
   * One served model and what clients know about its inputs.
   *
   * @param name the data set
   * @param model the trained model
   * @param vectors its feature vectors
   * @param rows every row of the data set as an instance (label removed)
   * @param numeric the numeric columns, in the spec's order
   * @param min observed minimum of each numeric column
   * @param max observed maximum of each numeric column
   * @param categorical each categorical column's values
   */
  record Target(
      String name,
      TabularModel model,
      FeatureVectors vectors,
      List<Map<String, String>> rows,
      List<String> numeric,
      double[] min,
      double[] max,
      Map<String, List<String>> categorical) {

    /** The instance with numeric columns at standardised values {@code z}, and categories. */
    Map<String, String> instance(double[] z, Map<String, String> categories) {
      Map<String, String> out = new LinkedHashMap<>();
      for (int j = 0; j < numeric.size(); j++) {
        double[] ms = model.spec().numeric().get(numeric.get(j));
        out.put(numeric.get(j), BigDecimal.valueOf(z[j] * ms[1] + ms[0]).toPlainString());
      }
      out.putAll(categories);
      return out;
    }

    /** The standardised numeric values of an instance. */
    double[] z(Map<String, String> instance) {
      double[] z = new double[numeric.size()];
      for (int j = 0; j < z.length; j++) {
        double[] ms = model.spec().numeric().get(numeric.get(j));
        z[j] = (Double.parseDouble(instance.get(numeric.get(j))) - ms[0]) / ms[1];
      }
      return z;
    }

    /** The categorical part of an instance. */
    Map<String, String> categories(Map<String, String> instance) {
      Map<String, String> out = new LinkedHashMap<>();
      categorical.keySet().forEach(c -> out.put(c, instance.get(c)));
      return out;
    }

    /** The model's answer. */
    Classifier.Result predict(Map<String, String> instance) {
      try {
        return model.predict(instance, name);
      } catch (BadInputException e) {
        throw new IllegalStateException(e);
      }
    }

    /** The probability of the positive class. */
    double positiveScore(Map<String, String> instance) {
      return predict(instance).scores().get(model.spec().positiveClass());
    }
  }

  private static Target breastCancer;
  private static Target creditG;

  private SimulationTargets() {}

  static synchronized Target breastCancer() throws IOException, BadInputException {
    if (breastCancer == null) {
      Table t = new CsvReader().read(DATASETS.resolve("breast-cancer.csv"));
      ObjectNode schema = schema("breast-cancer", "diagnosis");
      ArrayNode cols = schema.putArray("columns");
      for (String c : t.columns()) {
        ObjectNode col = cols.addObject().put("name", c);
        if (c.equals("diagnosis")) {
          col.put("type", "categorical").putArray("values").add("benign").add("malignant");
        } else {
          col.put("type", "number");
        }
      }
      breastCancer = target("breast-cancer", t, schema, "malignant");
    }
    return breastCancer;
  }

  static synchronized Target creditG() throws IOException, BadInputException {
    if (creditG == null) {
      ArffReader.Arff arff = new ArffReader().read(DATASETS.resolve("credit-g.arff"));
      ObjectNode schema = schema("credit-g", "class");
      ArrayNode cols = schema.putArray("columns");
      for (ArffReader.Attribute a : arff.attributes()) {
        ObjectNode col = cols.addObject().put("name", a.name());
        if (a.values().isEmpty()) {
          col.put("type", "number");
        } else {
          ArrayNode v = col.put("type", "categorical").putArray("values");
          a.values().forEach(v::add);
        }
      }
      creditG = target("credit-g", arff.table(), schema, "bad");
    }
    return creditG;
  }

  private static ObjectNode schema(String name, String label) {
    ObjectNode s = Json.object();
    s.put("name", name);
    s.put("label", label);
    return s;
  }

  private static Target target(String name, Table t, ObjectNode schemaJson, String positive)
      throws BadInputException {
    Schema schema =
        Schema.parse(schemaJson.toString().getBytes(StandardCharsets.UTF_8), name + " schema");
    ObjectNode train = Json.object();
    train.put("positive_class", positive);
    train.put("epochs", 30);
    train.put("learning_rate", 0.1);
    train.put("seed", 7);
    train.put("holdout", 0.3);
    TabularModel model = Trainer.train(t, schema, TrainParams.fromJson(train, name), List.of());
    List<Map<String, String>> rows = new ArrayList<>();
    for (Table.Row r : t.rows()) {
      Map<String, String> inst = new LinkedHashMap<>();
      for (int i = 0; i < t.columns().size(); i++) {
        if (!t.columns().get(i).equals(schema.label())) {
          inst.put(t.columns().get(i), r.cells().get(i));
        }
      }
      rows.add(inst);
    }
    List<String> numeric = new ArrayList<>(model.spec().numeric().keySet());
    double[] min = new double[numeric.size()];
    double[] max = new double[numeric.size()];
    java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
    java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
    for (Map<String, String> r : rows) {
      for (int j = 0; j < numeric.size(); j++) {
        double v = Double.parseDouble(r.get(numeric.get(j)));
        min[j] = Math.min(min[j], v);
        max[j] = Math.max(max[j], v);
      }
    }
    return new Target(name, model, new FeatureVectors(model.spec()), List.copyOf(rows), numeric,
        min, max, model.spec().categorical());
  }
}
