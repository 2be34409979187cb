package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code bastion bench serve}: a one-second run through picocli, and its argument errors. */
class ServeBenchTest {
  private static final Pattern LAST = Pattern.compile(
      "ratio (\\d+\\.\\d\\d) \\(secured (\\d+) req/s p99 (\\d+\\.\\d\\d) ms,"
          + " plain (\\d+) req/s p99 (\\d+\\.\\d\\d) ms\\)");

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

  @Test
  void shortRunEndsWithTheRatioLineAndBothSidesAnswered(@TempDir Path tmp) throws Exception {
    Path pipeline = Examples.copyCredit(tmp.resolve("credit"));
    // The real ledger's exports: the benchmark's temporary home must leave them alone.
    Path exports = java.nio.file.Files.createDirectories(tmp.resolve("exports"));
    Path real = java.nio.file.Files.writeString(
        exports.resolve("checkpoint-00000000000000000000"), "the real ledger's\n");
    System.setProperty(dev.bastion.pipeline.Home.CHECKPOINT_DIR_PROPERTY, exports.toString());
    Outcome o;
    try {
      o = run("bench", "serve", "--seconds", "1", "--warm-up", "1", "--concurrency", "2",
          "--pipeline", pipeline.toString());
      assertThat(System.getProperty(dev.bastion.pipeline.Home.CHECKPOINT_DIR_PROPERTY))
          .isEqualTo(exports.toString());
    } finally {
      System.clearProperty(dev.bastion.pipeline.Home.CHECKPOINT_DIR_PROPERTY);
    }
    assertThat(o.code()).as(o.err()).isEqualTo(0);
    try (var listed = java.nio.file.Files.list(exports)) {
      assertThat(listed).containsExactly(real);
    }
    assertThat(java.nio.file.Files.readString(real)).isEqualTo("the real ledger's\n");
    List<String> lines = o.out().strip().lines().toList();
    assertThat(o.out()).contains("set high so they never throttle the benchmark")
        .contains("ledger verified:");
    Matcher m = LAST.matcher(lines.get(lines.size() - 1));
    assertThat(m.matches()).as(lines.get(lines.size() - 1)).isTrue();
    long secured = Long.parseLong(m.group(2));
    long plain = Long.parseLong(m.group(4));
    assertThat(secured).isPositive();
    assertThat(plain).isPositive();
    assertThat(Double.parseDouble(m.group(1)))
        .isCloseTo((double) secured / plain, org.assertj.core.data.Offset.offset(0.01 + 1.0 / plain));
  }

  @Test
  void slopeIsTheLeastSquaresFit() {
    assertThat(ServeBench.LoadGenerator.slope(new double[] {5, 5, 5, 5})).isZero();
    assertThat(ServeBench.LoadGenerator.slope(new double[] {1, 3, 5, 7})).isEqualTo(2.0);
    assertThat(ServeBench.LoadGenerator.slope(new double[] {4})).isZero();
  }

  @ParameterizedTest
  @CsvSource({
    "--seconds, 0",
    "--seconds, 3601",
    "--seconds, ten",
    "--concurrency, 0",
    "--concurrency, 257",
    "--soak, -1",
    "--soak, 1441",
  })
  void badValuesAreExitTwoWithOneLine(String option, String value) {
    Outcome o = run("bench", "serve", option, value);
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains(option).contains(value);
    assertThat(o.out()).isEmpty();
  }
}
