package dev.bastion.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.data.ArffReader;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.data.poison.Detector;
import dev.bastion.data.poison.Detectors;
import dev.bastion.data.poison.Encoded;
import dev.bastion.data.poison.Encoder;
import dev.bastion.data.poison.Scan;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bastion data scan}: poisoning detectors over a CSV or ARFF file. */
@Command(
    name = "scan",
    mixinStandardHelpOptions = true,
    description = {
      "Score every row of a CSV or ARFF file (by extension) with the poisoning detectors:"
          + " knn-label, confident-learning, region-holdout (label flips), outlier (per-class"
          + " robust outliers),"
          + " duplicate (exact and near), trigger (backdoor triggers). Rows above a detector's"
          + " default threshold are suspects; `row` is the 0-based data row (header excluded).",
      "Exit 0: no suspects; 1: suspects found; 2: bad usage or input. See docs/poisoning.md."
    })
final class DataScanCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DATA", description = "a .csv or .arff file")
  Path data;

  @Option(names = "--label", paramLabel = "COLUMN",
      description = "the label column (or give --schema)")
  String label;

  @Option(names = "--schema", paramLabel = "FILE",
      description = "a schema file: its label column is used when --label is not given")
  Path schema;

  @Option(names = "--source-column", paramLabel = "COLUMN",
      description = "a column naming each row's source: not a feature; suspects are counted per"
          + " source")
  String sourceColumn;

  @Option(names = "--json", description = "JSON on standard output")
  boolean json;

  @Option(names = "--k", paramLabel = "N", defaultValue = "10",
      description = "neighbours per row (default: ${DEFAULT-VALUE})")
  int k = 10;

  @Option(names = "--max-reference", paramLabel = "N", defaultValue = "20000",
      description = "neighbours are searched in at most N rows, a seeded sample on larger data"
          + " (default: ${DEFAULT-VALUE})")
  int maxReference = 20_000;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
      description = "seed of the folds and the sample (default: ${DEFAULT-VALUE})")
  long seed = 1;

  @Option(names = "--show", paramLabel = "N", defaultValue = "20",
      description = "suspects listed in the text output (default: ${DEFAULT-VALUE})")
  int show = 20;

  @CommandLine.Mixin DelimiterOption csv = new DelimiterOption();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /**
   * A data file with its declared column kinds (ARFF only).
   *
   * @param table the rows
   * @param kinds declared kinds by column; empty for CSV
   */
  record DataFile(Table table, Map<String, ArffReader.Kind> kinds) {}

  /** Reads CSV, or ARFF when the name ends in .arff. */
  static DataFile read(Path file) throws BadInputException, IOException {
    return read(file, CsvReader.Options.DEFAULT);
  }

  /** Reads CSV with {@code csv}'s delimiter and limits, or ARFF when the name ends in .arff. */
  static DataFile read(Path file, CsvReader.Options csv) throws BadInputException, IOException {
    if (file.getFileName() != null
        && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".arff")) {
      ArffReader.Arff a = new ArffReader().read(file);
      Map<String, ArffReader.Kind> kinds = new HashMap<>();
      a.attributes().forEach(x -> kinds.put(x.name(), x.kind()));
      return new DataFile(a.table(), kinds);
    }
    return new DataFile(new CsvReader(csv).read(file), Map.of());
  }

  @Override
  public Integer call() throws Exception {
    if (k < 1 || k > 1000) {
      throw new BadInputException("--k " + k + ": expected 1 to 1000");
    }
    if (show < 0) {
      throw new BadInputException("--show " + show + ": expected 0 or more");
    }
    if (maxReference < 2) {
      throw new BadInputException("--max-reference " + maxReference + ": expected at least 2");
    }
    if (label == null && schema == null) {
      throw new BadInputException("give the label column with --label COLUMN (or --schema FILE)");
    }
    String labelColumn = label != null ? label : Schema.load(schema).label();
    DataFile file = read(data, csv.apply(CsvReader.Options.DEFAULT));
    Table table = file.table();
    if (sourceColumn != null && sourceColumn.equals(labelColumn)) {
      throw new BadInputException("--source-column cannot be the label column");
    }
    Set<String> ignore = sourceColumn == null ? Set.of() : Set.of(sourceColumn);
    Encoder enc = Encoder.fit(table, labelColumn, file.kinds(), ignore);
    Encoded encoded = enc.encode(table);
    if (encoded.rows() < 3) {
      throw new BadInputException(data + ": " + encoded.rows() + " rows; at least 3 are needed");
    }
    List<Detector> detectors = Detectors.defaults();
    Scan.Result r = Scan.run(encoded, detectors, new Scan.Options(k, 5, seed, maxReference));
    boolean[] any = r.flaggedByAny();
    Map<String, long[]> sources = new LinkedHashMap<>();
    if (sourceColumn != null) {
      int si = table.indexOf(sourceColumn);
      for (int i = 0; i < table.rows().size(); i++) {
        long[] c = sources.computeIfAbsent(table.rows().get(i).cells().get(si), x -> new long[2]);
        c[0]++;
        c[1] += any[i] ? 1 : 0;
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.pretty(toJson(r, any, sources)));
    } else {
      text(out, r, any, sources, encoded);
    }
    out.flush();
    return r.suspects().isEmpty() ? 0 : 1;
  }

  private ObjectNode toJson(Scan.Result r, boolean[] any, Map<String, long[]> sources) {
    ObjectNode root = Json.object();
    root.put("file", data.toString());
    root.put("rows", r.rows());
    root.put("suspect_rows", count(any));
    ArrayNode dets = root.putArray("detectors");
    for (String d : r.scores().keySet()) {
      ObjectNode o = dets.addObject();
      o.put("name", d);
      o.put("threshold", r.thresholds().get(d));
      o.put("flagged", count(r.flagged(d)));
    }
    ArrayNode suspects = root.putArray("suspects");
    for (Scan.Suspect s : r.suspects()) {
      ObjectNode o = suspects.addObject();
      o.put("row", s.row());
      o.put("detector", s.detector());
      o.put("score", Math.round(s.score() * 1e4) / 1e4);
    }
    // Always there, empty without --source-column: one shape for every consumer.
    ArrayNode src = root.putArray("sources");
    if (sourceColumn != null) {
      for (var e : sources.entrySet()) {
        ObjectNode o = src.addObject();
        o.put("source", e.getKey());
        o.put("rows", e.getValue()[0]);
        o.put("suspect_rows", e.getValue()[1]);
        o.put("rate", Math.round(1e4 * e.getValue()[1] / (double) e.getValue()[0]) / 1e4);
      }
    }
    return root;
  }

  private void text(PrintWriter out, Scan.Result r, boolean[] any, Map<String, long[]> sources,
      Encoded encoded) {
    out.printf(Locale.ROOT, "%s: %d rows, %d features (%d encoded), label classes %s%n", data,
        r.rows(), encoded.columns().size(), encoded.dims(), encoded.classes());
    for (String d : r.scores().keySet()) {
      out.printf(Locale.ROOT, "  %-19s %5d flagged (score above %s)%n", d, count(r.flagged(d)),
          r.thresholds().get(d));
    }
    out.printf(Locale.ROOT, "%d suspect rows (%.1f%%)%n", count(any), 100.0 * count(any) / r.rows());
    List<Scan.Suspect> list = new ArrayList<>(r.suspects());
    for (int i = 0; i < Math.min(show, list.size()); i++) {
      Scan.Suspect s = list.get(i);
      // Counted from 1 here, as in every message; the JSON's row is 0-based.
      out.printf(Locale.ROOT, "  row %d: %s %.3f%n", s.row() + 1, s.detector(), s.score());
    }
    if (list.size() > show) {
      out.printf(Locale.ROOT, "  ... %d more (--json lists all)%n", list.size() - show);
    }
    for (var e : sources.entrySet()) {
      out.printf(Locale.ROOT, "source %s: %d of %d rows suspect (%.1f%%)%n", e.getKey(),
          e.getValue()[1], e.getValue()[0], 100.0 * e.getValue()[1] / e.getValue()[0]);
    }
  }

  private static long count(boolean[] b) {
    long c = 0;
    for (boolean x : b) {
      c += x ? 1 : 0;
    }
    return c;
  }
}
