package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.Json;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.pipeline.Home;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code bastion data profile|suggest-schema|validate} and {@code bench data}, end to end. */
class DataProfileCommandTest {
  @TempDir Path tmp;
  Path credit;
  Path schema;

  @BeforeEach
  void setUp() throws Exception {
    System.setProperty(Home.PROPERTY, tmp.resolve("home").toString());
    Path pipeline = Examples.copyCredit(tmp.resolve("credit"));
    credit = pipeline.resolveSibling("credit-g.csv");
    schema = pipeline.resolveSibling("schema.json");
    assertThat(run("init").code).isZero();
  }

  @AfterEach
  void tearDown() {
    System.clearProperty(Home.PROPERTY);
  }

  record Outcome(int code, String out, String err) {}

  static Outcome run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Outcome(code, out.toString(), err.toString());
  }

  /** credit-g with {@code column} mapped, rows [from, to). */
  Path variant(String name, int from, int to, String column,
      java.util.function.UnaryOperator<String> f) throws Exception {
    Table t = new CsvReader().read(credit);
    Table part = new Table(name, t.columns(), t.rows().subList(from, to));
    if (column != null) {
      part = part.mapColumn(column, f);
    }
    return Files.write(tmp.resolve(name), part.toCsv());
  }

  @Test
  void aDelimiterOtherThanACommaIsReadWhereItIsGiven() throws Exception {
    String text = Files.readString(credit);
    assertThat(text).doesNotContain(";").doesNotContain("\t").doesNotContain("\"");
    Path semi = Files.writeString(tmp.resolve("semi.csv"), text.replace(',', ';'));
    Path tsv = Files.writeString(tmp.resolve("tabs.tsv"), text.replace(',', '\t'));
    Outcome comma = run("data", "profile", credit.toString(), "-o", tmp.resolve("c").toString());
    Outcome bySemi = run("data", "profile", semi.toString(), "--delimiter", ";", "-o",
        tmp.resolve("s").toString());
    Outcome byTab = run("data", "profile", tsv.toString(), "--delimiter", "tab", "-o",
        tmp.resolve("t").toString());
    assertThat(List.of(comma.code, bySemi.code, byTab.code)).containsOnly(0);
    // The same columns, counts and quantiles: everything after the line naming the file.
    String columns = comma.out.substring(comma.out.indexOf('\n'));
    assertThat(bySemi.out.substring(bySemi.out.indexOf('\n'))).isEqualTo(columns);
    assertThat(byTab.out.substring(byTab.out.indexOf('\n'))).isEqualTo(columns);

    Outcome valid = run("data", "validate", semi.toString(), "--schema", schema.toString(),
        "--delimiter", ";");
    assertThat(valid.code).as(valid.err).isZero();
    assertThat(run("data", "suggest-schema", semi.toString(), "--label", "class", "--delimiter",
        ";", "-o", tmp.resolve("schema-semi.json").toString()).code).isZero();
    Outcome scanSemi = run("data", "scan", semi.toString(), "--label", "class", "--delimiter",
        ";", "--json");
    Outcome scanComma = run("data", "scan", credit.toString(), "--label", "class", "--json");
    assertThat(scanSemi.code).isEqualTo(scanComma.code).isIn(0, 1);
    assertThat(scanSemi.out.replace(semi.toString(), "F"))
        .isEqualTo(scanComma.out.replace(credit.toString(), "F"));

    Outcome wrong = run("data", "profile", semi.toString(), "-o", tmp.resolve("w").toString());
    assertThat(wrong.code).isEqualTo(2);
    assertThat(wrong.err.strip())
        .isEqualTo("bastion: " + semi + ": line 1: found 1 column; not a CSV file with delimiter"
            + " ','");
    for (String bad : new String[] {"ab", "\"", "\u00e9", ""}) {
      Outcome o = run("data", "profile", semi.toString(), "--delimiter", bad, "-o",
          tmp.resolve("b").toString());
      assertThat(o.code).as(bad).isEqualTo(2);
      assertThat(o.err).as(bad).contains("--delimiter '")
          .contains("expected one printable ASCII character other than '\"', or 'tab'")
          .doesNotContain("Exception");
      assertThat(o.err.strip().lines().count()).isEqualTo(1);
    }
    assertThat(Files.exists(tmp.resolve("b"))).isFalse();
  }

  @Test
  void badOutputPathsAreOneLineAndTouchNothing() throws Exception {
    byte[] before = Files.readAllBytes(credit);
    Outcome same = run("data", "profile", credit.toString(), "-o", credit.toString());
    assertThat(same.code).isEqualTo(2);
    assertThat(same.err).contains("is also an input").doesNotContain("internal error");
    Outcome sameSchema = run("data", "suggest-schema", credit.toString(), "--label", "class",
        "-o", credit.toString());
    assertThat(sameSchema.code).isEqualTo(2);
    assertThat(Files.readAllBytes(credit)).as("the input is untouched").isEqualTo(before);

    Path nowhere = tmp.resolve("no-such-dir").resolve("p.json");
    Outcome missing = run("data", "profile", credit.toString(), "-o", nowhere.toString());
    assertThat(missing.code).isEqualTo(2);
    assertThat(missing.err).contains("no such directory");
    assertThat(nowhere.getParent()).doesNotExist();

    Outcome dir = run("data", "profile", credit.toString(), "-o", tmp.toString());
    assertThat(dir.code).isEqualTo(2);
    assertThat(dir.err).contains("is a directory");

    // Never a rename over anything but a plain file: a FIFO, a link (here to a regular file).
    Path fifo = tmp.resolve("fifo");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    Path target = Files.writeString(tmp.resolve("target.json"), "keep");
    Path link = Files.createSymbolicLink(tmp.resolve("link.json"), target);
    for (Path special : new Path[] {fifo, link}) {
      for (String[] cmd : new String[][] {{"data", "profile", credit.toString()},
          {"data", "suggest-schema", credit.toString(), "--label", "class"}}) {
        String[] args = java.util.Arrays.copyOf(cmd, cmd.length + 2);
        args[cmd.length] = "-o";
        args[cmd.length + 1] = special.toString();
        Outcome o = run(args);
        assertThat(o.code).as(special + " " + cmd[1]).isEqualTo(2);
        assertThat(o.err.strip()).isEqualTo("bastion: " + special + ": is not a regular file (a"
            + " device, a pipe, a socket or a link), which writing would replace; name a file");
      }
    }
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(Files.readString(target)).isEqualTo("keep");
    assertThat(Files.isRegularFile(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();

    Outcome proc = run("data", "profile", credit.toString(), "-o", "/proc/bastion-test");
    assertThat(proc.code).isEqualTo(2);
    assertThat(proc.err.strip()).startsWith("bastion: /proc/bastion-test: cannot write")
        .doesNotContain("internal error").doesNotContain(".tmp");
  }

  @Test
  void aReferenceProfileOfOtherDataIsRefused() throws Exception {
    Path other = Files.writeString(tmp.resolve("other.csv"), "a,b\n1,2\n3,4\n");
    Path p = tmp.resolve("other.profile.json");
    assertThat(run("data", "profile", other.toString(), "-o", p.toString()).code).isZero();
    Outcome v = run("data", "validate", credit.toString(), "--schema", schema.toString(),
        "--reference", p.toString());
    assertThat(v.code).isEqualTo(2);
    assertThat(v.err).contains("a profile of other data");
  }

  @Test
  void aWrongValueIsOneLineAndHelpWorksEverywhere() {
    Outcome bad = run("data", "validate", credit.toString(), "--schema", schema.toString(),
        "--alpha", "abc");
    assertThat(bad.code).isEqualTo(2);
    assertThat(bad.err.strip().lines()).hasSize(1);
    assertThat(bad.err).contains("--alpha").contains("bastion data validate --help");
    Outcome off = run("data", "validate", credit.toString(), "--schema", schema.toString(),
        "--psi", "Infinity");
    assertThat(off.code).as("a threshold that turns its test off").isEqualTo(2);
    assertThat(off.err.strip()).isEqualTo("bastion: --psi Infinity: expected a finite >= 0");
    for (String[] cmd : new String[][] {{"data", "--help"}, {"audit", "verify", "--help"},
        {"data", "profile", "--help"}, {"bench", "poisoning", "--help"}}) {
      Outcome h = run(cmd);
      assertThat(h.code).as(String.join(" ", cmd)).isZero();
      assertThat(h.out).contains("Usage:");
      assertThat(h.err).as(String.join(" ", cmd)).isEmpty();
    }
  }

  @Test
  void profileIsSignedAndValidateUsesIt() throws Exception {
    Path p = tmp.resolve("credit.profile.json");
    Outcome o = run("data", "profile", credit.toString(), "-o", p.toString());
    assertThat(o.code).as(o.err).isZero();
    assertThat(o.out).contains("profiled 1000 rows", "signed by ingest");
    JsonNode env = Json.parse(Files.readAllBytes(p), "p");
    JsonNode st = Json.parse(Base64.getDecoder().decode(env.get("payload").asText()), "st");
    assertThat(st.get("predicateType").asText()).isEqualTo("urn:bastion:predicate:data-profile:v1");
    assertThat(st.get("subject").get(0).get("digest").get("sha256").asText())
        .isEqualTo(dev.bastion.core.Digest.of(Files.readAllBytes(credit)).hex());

    Outcome v = run("data", "validate", credit.toString(), "--schema", schema.toString(),
        "--reference", p.toString());
    assertThat(v.code).as(v.out + v.err).isZero();
    assertThat(v.out).contains("PASS", "0 of 21 columns drifted");
  }

  @Test
  void driftAndSchemaIssuesFailWithEveryIssueListed() throws Exception {
    Path p = tmp.resolve("ref.json");
    assertThat(run("data", "profile", credit.toString(), "-o", p.toString()).code).isZero();
    Path shifted = variant("shifted.csv", 0, 1000, "credit_amount",
        v -> Long.toString(Long.parseLong(v) * 3));
    Outcome v = run("data", "validate", shifted.toString(), "--schema", schema.toString(),
        "--reference", p.toString());
    assertThat(v.code).isEqualTo(1);
    assertThat(v.out).contains("drift: column 'credit_amount': ks", "threshold", "FAIL");
    Outcome j = run("data", "validate", shifted.toString(), "--schema", schema.toString(),
        "--reference", p.toString(), "--json");
    assertThat(j.code).isEqualTo(1);
    JsonNode report = Json.parse(j.out.getBytes(StandardCharsets.UTF_8), "report");
    assertThat(report.get("ok").asBoolean()).isFalse();
    JsonNode issue = report.get("issues").get(0);
    assertThat(issue.get("column").asText()).isEqualTo("credit_amount");
    assertThat(issue.get("test").asText()).isEqualTo("ks");
    assertThat(issue.has("statistic") && issue.has("threshold")).isTrue();
    assertThat(report.get("drift")).hasSize(21);

    Path bad = variant("bad.csv", 0, 1000, "age", v2 -> v2.equals("67") ? "200" : v2);
    Outcome b = run("data", "validate", bad.toString(), "--schema", schema.toString());
    assertThat(b.code).isEqualTo(1);
    assertThat(b.out).contains("column 'age': 200 is outside the range 18..100");
  }

  @Test
  void aTamperedReferenceFailsClosed() throws Exception {
    Path p = tmp.resolve("ref.json");
    assertThat(run("data", "profile", credit.toString(), "-o", p.toString()).code).isZero();
    JsonNode env = Json.parse(Files.readAllBytes(p), "p");
    byte[] payload = Base64.getDecoder().decode(env.get("payload").asText());
    String text = new String(payload, StandardCharsets.UTF_8).replace("\"rows\":1000",
        "\"rows\":1001");
    ((com.fasterxml.jackson.databind.node.ObjectNode) env).put("payload",
        Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)));
    Path forged = Files.write(tmp.resolve("forged.json"), Json.canonical(env));
    for (String cmd : new String[] {"validate", "profile"}) {
      Outcome o = cmd.equals("validate")
          ? run("data", "validate", credit.toString(), "--schema", schema.toString(),
              "--reference", forged.toString())
          : run("data", "profile", credit.toString(), "--merge", forged.toString(), "-o",
              tmp.resolve("m.json").toString());
      assertThat(o.code).isEqualTo(1);
      assertThat(o.err.strip()).startsWith("bastion: " + forged + ": ").doesNotContain("\n");
    }
    assertThat(tmp.resolve("m.json")).doesNotExist();
  }

  @Test
  void mergeUpdatesFromTheNewRowsOnly() throws Exception {
    Path a = variant("a.csv", 0, 700, null, null);
    Path b = variant("b.csv", 700, 1000, null, null);
    Path pa = tmp.resolve("a.json");
    Path pab = tmp.resolve("ab.json");
    assertThat(run("data", "profile", a.toString(), "-o", pa.toString()).code).isZero();
    Outcome m = run("data", "profile", b.toString(), "--merge", pa.toString(), "-o",
        pab.toString());
    assertThat(m.code).as(m.err).isZero();
    assertThat(m.out).contains("profiled 300 rows", "1000 rows");
    JsonNode env = Json.parse(Files.readAllBytes(pab), "p");
    JsonNode st = Json.parse(Base64.getDecoder().decode(env.get("payload").asText()), "st");
    assertThat(st.get("subject")).hasSize(2);
    assertThat(st.get("predicate").get("rows").asLong()).isEqualTo(1000);
    Outcome v = run("data", "validate", credit.toString(), "--schema", schema.toString(),
        "--reference", pab.toString());
    assertThat(v.code).as(v.out).isZero();
    Outcome twice = run("data", "profile", b.toString(), "--merge", pab.toString(), "-o",
        tmp.resolve("abb.json").toString());
    assertThat(twice.code).isEqualTo(2);
    assertThat(twice.err).isEqualTo("bastion: " + b + ": already in " + pab
        + " (same SHA-256); merging it again would count its rows twice" + System.lineSeparator());
    assertThat(tmp.resolve("abb.json")).doesNotExist();
  }

  @Test
  void mergeGoesByColumnName() throws Exception {
    Path a = variant("a.csv", 0, 700, null, null);
    Path pa = tmp.resolve("a.json");
    assertThat(run("data", "profile", a.toString(), "-o", pa.toString()).code).isZero();
    // The same columns in another order merge; different ones are named.
    List<String> lines = Files.readAllLines(variant("b.csv", 700, 1000, null, null));
    List<String> reversed = new ArrayList<>();
    for (String l : lines) {
      List<String> cells = new ArrayList<>(List.of(l.split(",", -1)));
      java.util.Collections.reverse(cells);
      reversed.add(String.join(",", cells));
    }
    Path rev = Files.write(tmp.resolve("rev.csv"), reversed);
    Outcome m = run("data", "profile", rev.toString(), "--merge", pa.toString(), "-o",
        tmp.resolve("ar.json").toString());
    assertThat(m.code).as(m.err).isZero();
    assertThat(m.out).contains("1000 rows");
    Path other = Files.writeString(tmp.resolve("other.csv"), "x,class\n1,good\n");
    Outcome o = run("data", "profile", other.toString(), "--merge", pa.toString(), "-o",
        tmp.resolve("ao.json").toString());
    assertThat(o.code).isEqualTo(2);
    assertThat(o.err.strip()).startsWith("bastion: cannot merge " + other + " into " + pa
        + ": the profiles have different columns: only in a.json [checking_status, duration,")
        .endsWith(", only in other.csv [x]");
  }

  @Test
  void suggestedSchemaLoads() throws Exception {
    Path s = tmp.resolve("suggested.json");
    Outcome o = run("data", "suggest-schema", credit.toString(), "--label", "class", "-o",
        s.toString());
    assertThat(o.code).as(o.err).isZero();
    Schema loaded = Schema.load(s);
    assertThat(loaded.columns()).hasSize(21);
    assertThat(run("data", "validate", credit.toString(), "--schema", s.toString()).code).isZero();
    Outcome bad = run("data", "suggest-schema", credit.toString(), "--label", "nope", "-o",
        tmp.resolve("x.json").toString());
    assertThat(bad.code).isEqualTo(2);
    assertThat(bad.err).contains("label column 'nope' is not in the data");
  }

  @ParameterizedTest
  @ValueSource(strings = {"unbalanced", "ragged", "utf8", "empty", "hugeLine"})
  void malformedCsvIsExit2AndOneLineNamingFileAndRow(String kind) throws Exception {
    Path f = tmp.resolve(kind + ".csv");
    byte[] head = "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8);
    byte[] bytes = switch (kind) {
      case "unbalanced" -> "a,b\n1,2\n3,\"4\n5,6\n".getBytes(StandardCharsets.UTF_8);
      case "ragged" -> "a,b\n1,2\n3\n".getBytes(StandardCharsets.UTF_8);
      case "utf8" -> {
        byte[] x = Arrays.copyOf(head, head.length + 4);
        x[head.length] = '3';
        x[head.length + 1] = ',';
        x[head.length + 2] = (byte) 0xFF;
        x[head.length + 3] = '\n';
        yield x;
      }
      case "empty" -> new byte[0];
      default -> {
        byte[] x = Arrays.copyOf(head, head.length + (4 << 20));
        Arrays.fill(x, head.length, x.length, (byte) 'x');
        yield x;
      }
    };
    Files.write(f, bytes);
    String expected = switch (kind) {
      case "unbalanced" -> f + ": row 2 (line 3): quoted field not closed before end of file";
      case "ragged" -> f + ": row 2 (line 3): 1 fields, the header has 2";
      case "utf8" -> f + ": row 2 (line 3): not UTF-8 text";
      case "empty" -> f + ": empty file, expected a CSV header";
      default -> f + ": row 2 (line 3): field 1: longer than the limit of 65536 characters";
    };
    for (String[] args : new String[][] {
        {"data", "profile", f.toString(), "-o", tmp.resolve("out.json").toString()},
        {"data", "validate", f.toString(), "--schema", schema.toString()},
        {"data", "suggest-schema", f.toString(), "--label", "b", "-o",
            tmp.resolve("out.json").toString()}}) {
      Outcome o = run(args);
      assertThat(o.code).as(o.err).isEqualTo(2);
      assertThat(o.err).isEqualTo("bastion: " + expected + System.lineSeparator());
    }
    assertThat(tmp.resolve("out.json")).doesNotExist();
  }

  @Test
  void benchDataPrintsTheRatioLast() {
    Outcome o = run("bench", "data", "--rows", "1000", "--runs", "1", "--source",
        credit.toString());
    assertThat(o.code).as(o.err).isZero();
    String[] lines = o.out.strip().split("\\R");
    assertThat(lines[lines.length - 1])
        .matches("ratio \\d+\\.\\d\\d \\(bastion \\d+ rows/s, parse-only \\d+ rows/s\\)");
    assertThat(o.out).contains("validation: PASS");
    assertThat(run("bench", "data", "--rows", "10").code).isEqualTo(2);
  }
}
