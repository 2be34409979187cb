package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.core.Json;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.PipelineDefinition;
import dev.bastion.pipeline.Runner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bastion verify-chain}: the walk from a model back to its source data. */
class VerifyChainCommandTest {
  @TempDir Path tmp;
  Runner.Result result;
  final PrintStream originalOut = System.out;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();

  @BeforeEach
  void run() throws Exception {
    Path home = tmp.resolve("home");
    System.setProperty(Home.PROPERTY, home.toString());
    try (Home h = Home.init(home)) {
      result =
          Examples.run(h, Examples.copyCredit(tmp.resolve("credit")));
    }
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(originalOut);
    System.clearProperty(Home.PROPERTY);
  }

  private int execute(StringWriter err, String... args) {
    var cl = new picocli.CommandLine(new VerifyChainCommand());
    cl.setExecutionExceptionHandler(Main.commandLine().getExecutionExceptionHandler());
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void walksFromTheModelToTheSourceData() throws Exception {
    for (String ref :
        new String[] {"credit-risk", "credit-risk@1", "credit-risk@v1",
            result.chain().model().toString()}) {
      out.reset();
      assertThat(execute(new StringWriter(), ref, "--json")).as(ref).isZero();
      var o = Json.parse(out.toByteArray(), "output");
      assertThat(o.path("verified").asBoolean()).isTrue();
      assertThat(o.path("links").get(0).path("link").asText()).isEqualTo("source data");
      assertThat(o.path("links").get(o.path("links").size() - 1).path("digest").asText())
          .isEqualTo(result.chain().model().toString());
      assertThat(o.toString()).contains("gate train", "gate evaluate", "gate register",
          result.chain().snapshot().toString());
    }
  }

  @Test
  void aTamperedLinkIsNamedAndExitsOne() throws Exception {
    try (Home h = Home.open(tmp.resolve("home"))) {
      EndToEndTest.flipByte(h.store().pathOf(result.chain().gateEvaluate()), 40);
    }
    StringWriter err = new StringWriter();
    assertThat(execute(err, "credit-risk")).isEqualTo(1);
    assertThat(err.toString()).contains(result.chain().gateEvaluate().toString());
  }

  @Test
  void withJsonAFailureIsJsonOnStandardOutputWithTheSameExitCode() throws Exception {
    try (Home h = Home.open(tmp.resolve("home"))) {
      EndToEndTest.flipByte(h.store().pathOf(result.chain().gateEvaluate()), 40);
    }
    StringWriter err = new StringWriter();
    assertThat(execute(err, "credit-risk", "--json")).isEqualTo(1);
    var o = Json.parse(out.toByteArray(), "output");
    assertThat(o.path("verified").asBoolean(true)).isFalse();
    assertThat(o.path("outcome").asText()).isEqualTo("check_failed");
    assertThat(o.path("model").asText()).isEqualTo("credit-risk");
    assertThat(o.path("error").asText()).contains(result.chain().gateEvaluate().toString());
    assertThat(err.toString()).contains(result.chain().gateEvaluate().toString());

    out.reset();
    assertThat(execute(new StringWriter(), "no-such-model", "--json")).isEqualTo(2);
    var bad = Json.parse(out.toByteArray(), "output");
    assertThat(bad.path("outcome").asText()).isEqualTo("bad_input");
    assertThat(bad.path("verified").asBoolean(true)).isFalse();
  }

  @Test
  void aDamagedRegistryDatabaseIsAFailedCheckInOneLine() throws Exception {
    Path db = tmp.resolve("home").resolve("bastion.db");
    for (String sql : new String[] {"update models set registration='garbage'",
        "update models set registered_at='yesterday'"}) {
      try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
          var st = c.createStatement()) {
        st.execute(sql);
      }
      StringWriter err = new StringWriter();
      assertThat(execute(err, "credit-risk")).as(sql).isEqualTo(1);
      assertThat(err.toString().strip()).as(sql).isEqualTo("bastion: the registry database"
          + " (bastion.db): the row of credit-risk v1 is damaged (a digest or time that does not"
          + " parse)");
    }
    java.nio.file.Files.writeString(db, "garbage ".repeat(1000));
    for (String f : new String[] {"bastion.db-wal", "bastion.db-shm"}) {
      java.nio.file.Files.deleteIfExists(db.resolveSibling(f));
    }
    StringWriter err = new StringWriter();
    assertThat(execute(err, "credit-risk")).isEqualTo(1);
    assertThat(err.toString().strip()).startsWith("bastion: ").contains("bastion.db")
        .doesNotContain("internal error").doesNotContain("[SQLITE").hasLineCount(1);
  }

  @Test
  void anUnknownModelIsBadInput() {
    StringWriter err = new StringWriter();
    assertThat(execute(err, "no-such-model")).isEqualTo(2);
    assertThat(execute(err, "credit-risk@7")).isEqualTo(2);
    assertThat(execute(err, "sha256:zz")).isEqualTo(2);
    assertThat(err.toString()).contains("no registered model named 'no-such-model'");
  }
}
