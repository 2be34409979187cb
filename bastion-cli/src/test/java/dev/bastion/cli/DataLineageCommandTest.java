package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.Json;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.Runner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bastion data lineage} through the command line. */
class DataLineageCommandTest {
  @TempDir Path tmp;
  Runner.Result result;

  @BeforeEach
  void run() throws Exception {
    Path home = tmp.resolve("home");
    System.setProperty(Home.PROPERTY, home.toString());
    try (Home h = Home.init(home)) {
      result = Examples.run(h, Examples.copyCredit(tmp.resolve("credit")));
    }
  }

  @AfterEach
  void restore() {
    System.clearProperty(Home.PROPERTY);
  }

  private static int execute(StringWriter out, StringWriter err, String... args) {
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void printsTheTreeTheGraphAndOpenLineageEvents() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertThat(execute(out, err, "data", "lineage", "credit-risk@1")).isZero();
    assertThat(out.toString()).startsWith("model " + result.chain().model())
        .contains("snapshot " + result.chain().snapshot())
        .contains("credit-g.csv");

    // Every step names the code that ran it: the evaluation's too.
    out = new StringWriter();
    assertThat(execute(out, err, "data", "lineage", result.chain().report().toString()))
        .isZero();
    assertThat(out.toString().lines().filter(l -> l.contains("<- ")).toList())
        .hasSizeGreaterThanOrEqualTo(3)
        .allSatisfy(l -> assertThat(l).contains(" bastion "));
    assertThat(out.toString()).contains("<- evaluate in ");

    out = new StringWriter();
    assertThat(execute(out, err, "data", "lineage", result.chain().snapshot().toString(),
        "--format", "dot")).isZero();
    assertThat(out.toString()).startsWith("digraph lineage {").contains("[label=\"ingest\"]");

    out = new StringWriter();
    assertThat(execute(out, err, "data", "lineage", "credit-risk", "--format", "openlineage"))
        .isZero();
    List<String> lines = out.toString().lines().toList();
    assertThat(lines).hasSize(4);
    for (String l : lines) {
      JsonNode e = Json.parse(l.getBytes(StandardCharsets.UTF_8), "event");
      assertThat(e.path("schemaURL").asText()).isEqualTo(
          "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent");
    }
  }

  @Test
  void badInputIsOneLineAndExitTwo() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertThat(execute(out, err, "data", "lineage", "credit-risk", "--format", "xml"))
        .isEqualTo(2);
    assertThat(err.toString().strip()).isEqualTo(
        "bastion: --format xml: expected text, dot or openlineage");
    err = new StringWriter();
    assertThat(execute(out, err, "data", "lineage", "sha256:" + "ab".repeat(32))).isEqualTo(2);
    assertThat(err.toString().strip()).startsWith("bastion: sha256:abab")
        .contains("no signed provenance").doesNotContain("Exception").hasLineCount(1);
    err = new StringWriter();
    assertThat(execute(out, err, "data", "lineage", "AB".repeat(32))).isEqualTo(2);
    assertThat(err.toString().strip()).isEqualTo("bastion: '" + "AB".repeat(32) + "': a digest"
        + " is written with its algorithm, sha256:" + "ab".repeat(32));
  }
}
