package dev.bastion.train;

import dev.bastion.core.BadInputException;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.tribuo.Example;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.evaluation.LabelEvaluation;
import org.tribuo.classification.evaluation.LabelEvaluator;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.datasource.ListDataSource;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/** Trains and evaluates a logistic-regression classifier (Tribuo) on a seeded split. */
public final class Trainer {
  private static final LabelFactory LABELS = new LabelFactory();

  private Trainer() {}

  /**
   * A seeded split of a table's rows.
   *
   * @param train rows to train on
   * @param holdout rows to evaluate on
   */
  public record Split(List<Table.Row> train, List<Table.Row> holdout) {}

  /** The same seed and fraction always give the same split of the same table. */
  public static Split split(Table table, long seed, double holdoutFraction) {
    List<Table.Row> rows = new ArrayList<>(table.rows());
    Collections.shuffle(rows, new Random(seed));
    int cut = (int) Math.round(rows.size() * holdoutFraction);
    return new Split(rows.subList(cut, rows.size()), rows.subList(0, cut));
  }

  /**
   * Checks that {@code params} fit {@code schema}, before any data is read: what a pipeline run
   * checks of a definition, and its approval before signing it.
   *
   * @throws BadInputException if the positive class is not a value of the label
   */
  public static void check(Schema schema, TrainParams params) throws BadInputException {
    Schema.Column label =
        schema.column(schema.label()).orElseThrow(() -> new BadInputException("no label column"));
    if (!label.values().contains(params.positiveClass())) {
      throw new BadInputException(
          "train.positive_class '" + params.positiveClass() + "' is not a value of '"
              + label.name() + "'");
    }
  }

  /**
   * Trains a model on the training split of {@code snapshot}.
   *
   * @throws BadInputException if the label or a column does not fit the schema
   */
  public static TabularModel train(
      Table snapshot, Schema schema, TrainParams params, List<String> protectedColumns)
      throws BadInputException {
    Split split = split(snapshot, params.seed(), params.holdout());
    check(schema, params);
    Map<String, double[]> numeric = new LinkedHashMap<>();
    Map<String, List<String>> categorical = new LinkedHashMap<>();
    for (Schema.Column c : schema.columns()) {
      if (!schema.isFeature(c)) {
        continue; // the label, the consent column, encrypted and dropped columns
      }
      int i = snapshot.indexOf(c.name());
      if (c.numeric()) {
        double sum = 0;
        double sq = 0;
        for (Table.Row r : split.train()) {
          double v = Double.parseDouble(r.cells().get(i));
          sum += v;
          sq += v * v;
        }
        int n = split.train().size();
        double mean = sum / n;
        double std = Math.sqrt(Math.max(sq / n - mean * mean, 0));
        numeric.put(c.name(), new double[] {mean, std > 1e-12 ? std : 1.0});
      } else if (protectedColumns.contains(c.name())) {
        Set<String> tokens = new LinkedHashSet<>();
        for (Table.Row r : snapshot.rows()) {
          tokens.add(r.cells().get(i));
        }
        List<String> sorted = new ArrayList<>(tokens);
        Collections.sort(sorted);
        categorical.put(c.name(), sorted);
      } else {
        categorical.put(c.name(), new ArrayList<>(c.values()));
      }
    }
    FeatureSpec spec =
        new FeatureSpec(schema.label(), params.positiveClass(), numeric, categorical,
            protectedColumns);
    MutableDataset<Label> data = dataset(snapshot, split.train(), spec, "train split");
    LinearSGDTrainer trainer =
        new LinearSGDTrainer(
            new LogMulticlass(),
            new AdaGrad(params.learningRate(), 0.1),
            params.epochs(),
            Integer.MAX_VALUE,
            params.seed());
    Model<Label> model = trainer.train(data);
    Map<String, double[]> declared = new LinkedHashMap<>();
    java.util.Set<String> integers = new java.util.TreeSet<>();
    List<Map<String, String>> trainRows = new ArrayList<>(split.train().size());
    for (String c : numeric.keySet()) {
      Schema.Column col = schema.column(c).orElseThrow();
      declared.put(c, new double[] {col.min(), col.max()});
      if (col.type() == Schema.Type.INTEGER) {
        integers.add(c);
      }
    }
    for (Table.Row r : split.train()) {
      Map<String, String> values = new LinkedHashMap<>();
      for (String c : numeric.keySet()) {
        values.put(c, r.cells().get(snapshot.indexOf(c)));
      }
      trainRows.add(values);
    }
    TabularModel trained = new TabularModel(model, spec,
        Optional.of(InputProfile.fit(spec, declared, integers, trainRows)), Optional.empty());
    // The evaluation baseline of the gateway's behaviour monitor: predictions on the holdout.
    List<Map<String, String>> holdout = new ArrayList<>(split.holdout().size());
    for (Table.Row r : split.holdout()) {
      Map<String, String> values = new LinkedHashMap<>();
      for (String c : spec.inputColumns()) {
        values.put(c, r.cells().get(snapshot.indexOf(c)));
      }
      holdout.add(values);
    }
    if (holdout.isEmpty()) {
      return trained;
    }
    return trained.withOutputProfile(
        OutputProfile.of(trained, holdout, snapshot.source() + " holdout"));
  }

  /**
   * Holdout metrics.
   *
   * @param auc area under the ROC curve of the positive class
   * @param accuracy fraction of holdout rows predicted right
   * @param holdoutRows rows evaluated
   */
  public record Metrics(double auc, double accuracy, int holdoutRows) {}

  /**
   * Evaluates any classifier on labelled instances: accuracy, and the area under the ROC curve of
   * {@code positiveClass}'s probability (ties count one half).
   *
   * @param instances column to raw value, as {@link Classifier#predict} takes them
   * @param truth the true class of each instance
   * @throws BadInputException if an instance is refused, or the instances do not hold both the
   *     positive class and another (there is no AUC then)
   */
  public static Metrics evaluate(Classifier model, List<Map<String, String>> instances,
      List<String> truth, String positiveClass, String where) throws BadInputException {
    int n = instances.size();
    if (truth.size() != n) {
      throw new IllegalArgumentException("one true class per instance");
    }
    double[] score = new double[n];
    boolean[] positive = new boolean[n];
    int right = 0;
    int positives = 0;
    for (int i = 0; i < n; i++) {
      Classifier.Result r = model.predict(instances.get(i), where + " row " + (i + 1));
      score[i] = r.scores().getOrDefault(positiveClass, 0.0);
      positive[i] = truth.get(i).equals(positiveClass);
      positives += positive[i] ? 1 : 0;
      right += r.label().equals(truth.get(i)) ? 1 : 0;
    }
    if (positives == 0 || positives == n) {
      throw new BadInputException(where + ": needs rows of class '" + positiveClass
          + "' and of another class to measure the AUC; it has " + positives + " of " + n);
    }
    return new Metrics(dev.bastion.data.poison.Metrics.auroc(score, positive), (double) right / n,
        n);
  }

  /** Evaluates {@code model} on the holdout split of {@code snapshot}. */
  public static Metrics evaluate(TabularModel model, Table snapshot, TrainParams params)
      throws BadInputException {
    Split split = split(snapshot, params.seed(), params.holdout());
    MutableDataset<Label> test = dataset(snapshot, split.holdout(), model.spec(), "holdout split");
    LabelEvaluation eval = new LabelEvaluator().evaluate(model.tribuoModel(), test);
    return new Metrics(
        eval.AUCROC(new Label(params.positiveClass())), eval.accuracy(), split.holdout().size());
  }

  private static MutableDataset<Label> dataset(
      Table table, List<Table.Row> rows, FeatureSpec spec, String what) throws BadInputException {
    List<Example<Label>> examples = new ArrayList<>();
    int labelIndex = table.indexOf(spec.label());
    for (Table.Row r : rows) {
      Map<String, String> instance = new LinkedHashMap<>();
      for (String col : spec.inputColumns()) {
        instance.put(col, r.cells().get(table.indexOf(col)));
      }
      FeatureSpec.Encoded e = spec.encode(instance, table.source() + " line " + r.line());
      examples.add(
          new ArrayExample<>(
              new Label(r.cells().get(labelIndex)), e.names(), e.values()));
    }
    ListDataSource<Label> source =
        new ListDataSource<>(
            examples, LABELS, new SimpleDataSourceProvenance(table.source() + " " + what, LABELS));
    return new MutableDataset<>(source);
  }
}
