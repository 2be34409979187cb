package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code bastion data scan} and {@code bastion bench poisoning} through the command line. */
class DataScanCommandTest {
  @TempDir Path tmp;

  record Outcome(int code, String out, String err) {}

  private static Outcome run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Outcome(code, out.toString(), err.toString());
  }

  /** Two clusters, rows alternating between sources A and B; row 120 (source B) copies row 0. */
  private Path csv(boolean poisoned) throws Exception {
    SplittableRandom rnd = new SplittableRandom(3);
    List<String> lines = new ArrayList<>(List.of("x,y,src,label"));
    for (int i = 0; i < 120; i++) {
      double c = i % 2 == 0 ? -3 : 3;
      lines.add(String.format(Locale.ROOT, "%.3f,%.3f,%s,%s", c + rnd.nextDouble() - 0.5,
          c + rnd.nextDouble() - 0.5, i % 4 < 2 ? "A" : "B", i % 2 == 0 ? "neg" : "pos"));
    }
    if (poisoned) {
      lines.add(lines.get(1).replace(",A,", ",B,"));
    }
    Path f = tmp.resolve(poisoned ? "poisoned.csv" : "clean.csv");
    Files.write(f, lines, StandardCharsets.UTF_8);
    return f;
  }

  @Test
  void cleanDataExitsZero() throws Exception {
    Outcome o = run("data", "scan", csv(false).toString(), "--label", "label",
        "--source-column", "src");
    assertThat(o.code()).isZero();
    assertThat(o.out()).contains("120 rows").contains("0 suspect rows")
        .contains("source A: 0 of 60 rows suspect");
  }

  @Test
  void theTextListingCountsRowsFromOneAsMessagesDo() throws Exception {
    Outcome o = run("data", "scan", csv(true).toString(), "--label", "label",
        "--source-column", "src");
    assertThat(o.code()).isEqualTo(1);
    // The duplicate is the 121st data row (line 122); the JSON calls it row 120.
    assertThat(o.out()).contains("  row 121: duplicate 1.000").doesNotContain("row 120:");
  }

  @Test
  void jsonListsSuspectsByZeroBasedRowWithSources() throws Exception {
    Outcome o = run("data", "scan", csv(true).toString(), "--label", "label", "--json",
        "--source-column", "src");
    assertThat(o.code()).isEqualTo(1);
    assertThat(o.err()).isEmpty();
    JsonNode root = Json.parse(o.out().getBytes(StandardCharsets.UTF_8), "output");
    assertThat(root.get("rows").asInt()).isEqualTo(121);
    JsonNode suspects = root.get("suspects");
    assertThat(suspects).hasSize(1);
    assertThat(suspects.get(0).get("row").asInt()).isEqualTo(120);
    assertThat(suspects.get(0).get("detector").asText()).isEqualTo("duplicate");
    assertThat(suspects.get(0).get("score").asDouble()).isEqualTo(1.0);
    JsonNode sources = root.get("sources");
    assertThat(sources).hasSize(2);
    assertThat(sources.get(1).get("source").asText()).isEqualTo("B");
    assertThat(sources.get(1).get("rows").asInt()).isEqualTo(61);
    assertThat(sources.get(1).get("suspect_rows").asInt()).isEqualTo(1);
    assertThat(sources.get(0).get("suspect_rows").asInt()).isZero();
  }

  @Test
  void readsArffByExtension() throws Exception {
    Path arff = Path.of("..", "datasets", "diabetes.arff");
    Outcome o = run("data", "scan", arff.toString(), "--label", "class", "--json");
    assertThat(o.code()).isEqualTo(1); // real data has mislabelled-looking rows
    JsonNode root = Json.parse(o.out().getBytes(StandardCharsets.UTF_8), "output");
    assertThat(root.get("rows").asInt()).isEqualTo(768);
    assertThat(root.get("detectors")).hasSize(6);
  }

  @ParameterizedTest
  @CsvSource(
      delimiterString = "|",
      value = {
        "--label nope | no label column 'nope'",
        "--label label --source-column nope | no column 'nope'",
        "--label label --source-column label | --source-column cannot be the label column",
        "--label label --k 0 | --k 0: expected 1 to 1000",
        "'' | give the label column with --label COLUMN",
      })
  void badUsageIsExitTwoWithOneLine(String options, String message) throws Exception {
    List<String> args = new ArrayList<>(List.of("data", "scan", csv(false).toString()));
    for (String a : options.strip().split(" ")) {
      if (!a.isEmpty()) {
        args.add(a);
      }
    }
    Outcome o = run(args.toArray(String[]::new));
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err().strip().lines()).hasSize(1);
    assertThat(o.err()).contains(message).doesNotContain("Exception");
  }

  @Test
  void rowsInMessagesCountFromOneAsTheReadersDo() throws Exception {
    Path header = Files.writeString(tmp.resolve("header.csv"), "a,label\n");
    Outcome o = run("data", "scan", header.toString(), "--label", "label");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err().strip()).isEqualTo("bastion: " + header + ": no data rows, only a header");
    Path empty = Files.writeString(tmp.resolve("empty-label.csv"), "a,label\n1,\n2,x\n3,y\n");
    o = run("data", "scan", empty.toString(), "--label", "label");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err().strip()).isEqualTo("bastion: " + empty
        + ": row 1 (line 2): label is missing");
  }

  @Test
  void jsonAlwaysHasSources() throws Exception {
    Outcome o = run("data", "scan", csv(false).toString(), "--label", "label", "--json");
    JsonNode root = Json.parse(o.out().getBytes(StandardCharsets.UTF_8), "output");
    assertThat(root.get("sources").isArray()).isTrue();
    assertThat(root.get("sources")).isEmpty();
  }

  @Test
  void missingFileIsExitTwo() {
    Outcome o = run("data", "scan", tmp.resolve("none.arff").toString(), "--label", "class");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("none.arff: no such file");
  }

  @Test
  void benchPoisoningRefusesABadSplitCount() {
    Outcome o = run("bench", "poisoning", "--data", Path.of("..", "datasets").toString(),
        "--splits", "0");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("--splits 0: expected 1 to 1000").doesNotContain("Exception");
  }

  @Test
  void benchPoisoningOnOneDataSetGivesTheSameTablesOnOneThreadAndOnTwo() {
    String[] args = {"bench", "poisoning", "--data", Path.of("..", "datasets").toString(),
        "--only", "breast-cancer", "--repeats", "2", "--splits", "4", "--threads", "1"};
    Outcome one = run(args);
    args[args.length - 1] = "2";
    Outcome two = run(args);
    assertThat(one.code()).isZero();
    assertThat(two.code()).isZero();
    assertThat(one.out())
        .contains("| breast-cancer | random flips 10% (mean of 2) | 569 | 57 |")
        .contains("| breast-cancer | backdoor 3% |")
        .contains("| breast-cancer | 3% | 4 (2) |")
        .contains("seed 1, repeats 2, splits 4;")
        .contains("clean batches refused")
        .contains("lr-baseline")
        .contains(" 1 thread on");
    assertThat(two.out()).contains(" 2 threads on");
    // Everything but the closing line with the time and thread count.
    assertThat(tables(two.out())).isEqualTo(tables(one.out())).contains("(mean of 2)");
  }

  private static String tables(String out) {
    return out.substring(0, out.indexOf("\nseed 1, repeats 2, splits 4;"));
  }

  @Test
  void benchPoisoningRefusesABadThreadCount() {
    Outcome o = run("bench", "poisoning", "--data", Path.of("..", "datasets").toString(),
        "--threads", "0");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("--threads 0: expected 1 to 64").doesNotContain("Exception");
  }

  @Test
  void benchPoisoningRefusesAMissingFolder() {
    Outcome o = run("bench", "poisoning", "--data", tmp.resolve("none").toString());
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("no such folder");
  }
}
