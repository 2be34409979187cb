package dev.bastion.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.Text;
import dev.bastion.data.ArffReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.data.poison.Detector;
import dev.bastion.data.poison.Detectors;
import dev.bastion.data.poison.Encoder;
import dev.bastion.data.poison.Scan;
import dev.bastion.policy.GatePolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The poisoning screen at ingestion: the default detectors ({@code bastion data scan}) over the
 * rows a pipeline may use, before anything is stored. What happens to the rows they flag is the
 * train gate's policy ({@code suspect_rows}): quarantined into an artifact of their own, or kept
 * and counted for the gate's rule.
 */
final class Screening {
  /**
   * The outcome.
   *
   * @param kept the rows that go on
   * @param quarantined the rows taken out (empty unless the policy quarantines)
   * @param suspects rows flagged by a detector the policy names
   * @param byDetector rows each detector flagged (every detector, named by the policy or not)
   * @param detectors the detectors whose flags count
   */
  record Result(Table kept, Table quarantined, int suspects, Map<String, Integer> byDetector,
      List<String> detectors) {
    Result {
      byDetector = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byDetector));
      detectors = List.copyOf(detectors);
    }

    /** For the gate and the provenance. */
    ObjectNode evidence(GatePolicy.SuspectRows action) {
      ObjectNode o = Json.object();
      o.put("action", action.spelling());
      o.put("suspect_rows", suspects);
      o.put("quarantined_rows", quarantined.rows().size());
      detectors.forEach(o.putArray("detectors")::add);
      ObjectNode d = o.putObject("by_detector");
      byDetector.forEach(d::put);
      return o;
    }
  }

  /**
   * Fewest rows screened: below this, or with a single class, rows cannot be compared with
   * their neighbours and every row counts as suspect (fail closed).
   */
  static final int MIN_ROWS = 20;

  private Screening() {}

  /**
   * Refuses a policy that names a detector that does not exist: at a run, and when the policies
   * are approved.
   */
  static void check(GatePolicy policy) throws BadInputException {
    List<String> names = Detectors.defaults().stream().map(Detector::name).toList();
    for (String d : policy.suspectDetectors()) {
      if (!names.contains(d)) {
        throw new BadInputException("gate '" + policy.name() + "': suspect_detectors names '"
            + Text.clip(d) + "', which is not a detector (" + String.join(", ", names) + ")");
      }
    }
  }

  /**
   * Screens {@code t} (valid against {@code schema}) with the default detectors: the label
   * against the model's features; the consent column, encrypted and dropped columns are not
   * features and are not screened. Rows flagged by a detector the policy names are suspect.
   *
   * @throws BadInputException if the policy names a detector that does not exist
   */
  static Result run(Table t, Schema schema, GatePolicy policy) throws BadInputException {
    GatePolicy.SuspectRows action = policy.suspectRows();
    List<Detector> all = Detectors.defaults();
    List<String> names = all.stream().map(Detector::name).toList();
    check(policy);
    List<String> counted = policy.suspectDetectors().isEmpty() ? names : policy.suspectDetectors();
    Set<String> ignore = new LinkedHashSet<>();
    Map<String, ArffReader.Kind> kinds = new LinkedHashMap<>();
    for (Schema.Column c : schema.columns()) {
      if (!schema.isFeature(c) && !c.name().equals(schema.label())) {
        ignore.add(c.name());
      } else {
        kinds.put(c.name(), c.numeric() ? ArffReader.Kind.NUMERIC : ArffReader.Kind.NOMINAL);
      }
    }
    int label = t.indexOf(schema.label());
    long classes = t.rows().stream().map(r -> r.cells().get(label)).distinct().count();
    if (t.rows().size() < MIN_ROWS || classes < 2) {
      // Too little to compare rows with: fail closed, every row is suspect.
      boolean[] every = new boolean[t.rows().size()];
      java.util.Arrays.fill(every, true);
      return split(t, every, t.rows().size(), Map.of(), counted, action);
    }
    Encoder enc = Encoder.fit(t, schema.label(), kinds, ignore);
    Scan.Result r = Scan.run(enc.encode(t), all, Scan.Options.DEFAULT);
    boolean[] any = new boolean[t.rows().size()];
    Map<String, Integer> byDetector = new LinkedHashMap<>();
    for (String d : r.scores().keySet()) {
      boolean[] f = r.flagged(d);
      int n = 0;
      for (int i = 0; i < f.length; i++) {
        n += f[i] ? 1 : 0;
        any[i] |= f[i] && counted.contains(d);
      }
      byDetector.put(d, n);
    }
    int suspects = 0;
    for (boolean b : any) {
      suspects += b ? 1 : 0;
    }
    return split(t, any, suspects, byDetector, counted, action);
  }

  private static Result split(Table t, boolean[] any, int suspects,
      Map<String, Integer> byDetector, List<String> counted, GatePolicy.SuspectRows action) {
    if (action == GatePolicy.SuspectRows.KEEP) {
      return new Result(t, new Table(t.source(), t.columns(), List.of()), suspects, byDetector,
          counted);
    }
    List<Table.Row> kept = new ArrayList<>();
    List<Table.Row> out = new ArrayList<>();
    for (int i = 0; i < t.rows().size(); i++) {
      (any[i] ? out : kept).add(t.rows().get(i));
    }
    return new Result(new Table(t.source(), t.columns(), kept),
        new Table(t.source(), t.columns(), out), suspects, byDetector, counted);
  }
}
