package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.bastion.core.BadInputException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code bastion bench sign} and {@code bench ledger}: the size parser, the layout and argument
 * errors. No timings.
 */
class BenchCommandTest {
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

  @ParameterizedTest
  @CsvSource({
    "1048576, 1048576",
    "1024K, 1048576",
    "1M, 1048576",
    "64m, 67108864",
    "1G, 1073741824",
    "4G, 4294967296",
    "4GB, 4294967296",
    "4GiB, 4294967296",
    "' 2g ', 2147483648",
    "1T, 1099511627776",
  })
  void parsesSizes(String text, long bytes) throws Exception {
    assertThat(BenchCommand.parseSize(text)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "G", "-1G", "1.5G", "0", "1K", "1023K", "12X", "2T", "1P", "G1", "1 G",
        "99999999999999999999", "0x10M"})
  void refusesNonsense(String text) {
    assertThatThrownBy(() -> BenchCommand.parseSize(text))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--size");
  }

  @Test
  void badSizeIsExitTwoWithOneLine() {
    Outcome o = run("bench", "sign", "--size", "lots");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err().strip().lines()).hasSize(1);
    assertThat(o.err()).contains("--size").contains("lots").doesNotContain("Exception");
    assertThat(o.out()).isEmpty();
  }

  @Test
  void badRunsIsExitTwo() {
    Outcome o = run("bench", "sign", "--runs", "0");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err().strip().lines()).hasSize(1);
    assertThat(o.err()).contains("--runs");
  }

  @Test
  void unknownSubcommandIsExitTwo() {
    assertThat(run("bench", "nonsense").code()).isEqualTo(2);
  }

  @ParameterizedTest
  @ValueSource(longs = {1L << 20, 3_000_001L, 1L << 30, 4L << 30})
  void layoutAddsUpAndIsMixed(long total) {
    List<BenchCommand.FileSpec> files = BenchCommand.layout(total, 1);
    assertThat(files.stream().mapToLong(BenchCommand.FileSpec::size).sum()).isEqualTo(total);
    assertThat(files).allSatisfy(f -> assertThat(f.size()).isPositive().isLessThanOrEqualTo(total / 8));
    assertThat(files.stream().map(BenchCommand.FileSpec::name).distinct().count())
        .isEqualTo(files.size());
    assertThat(files.size()).isGreaterThan(36);
    assertThat(BenchCommand.layout(total, 1)).isEqualTo(files);
  }

  @Test
  void medianOfOddAndEvenCounts() {
    assertThat(BenchCommand.median(new double[] {3, 1, 2})).isEqualTo(2);
    assertThat(BenchCommand.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
  }

  @Test
  void smallRunEndsWithTheRatioLine() {
    Outcome o = run("bench", "sign", "--size", "4M", "--runs", "1");
    assertThat(o.code()).as(o.err()).isEqualTo(0);
    List<String> lines = o.out().strip().lines().toList();
    assertThat(lines.get(lines.size() - 1))
        .matches("ratio \\d+\\.\\d\\d \\(bastion \\d+\\.\\d\\d GB/s, openssl \\d+\\.\\d\\d GB/s\\)");
  }

  @Test
  void smallLedgerRunReportsLatencyAndEndsWithTheRatioLine() {
    Outcome o = run("bench", "ledger", "--events", "1000", "--runs", "1", "--in-flight", "64");
    assertThat(o.code()).as(o.err()).isEqualTo(0);
    List<String> lines = o.out().strip().lines().toList();
    assertThat(lines).anyMatch(l -> l.matches("append to acknowledgement, all runs:"
        + " p50 \\d+\\.\\d\\d ms, p99 \\d+\\.\\d\\d ms, p99\\.9 \\d+\\.\\d\\d ms"));
    assertThat(lines.get(lines.size() - 1)).matches(
        "ratio \\d+\\.\\d\\d \\(bastion \\d+ events/s, plain file \\d+ events/s\\)");
  }

  @Test
  void latencyQuantilesComeFromTheirBuckets() {
    LedgerBench.Latency l = new LedgerBench.Latency();
    for (int i = 0; i < 99; i++) {
      l.record(15_000); // 15 µs: the bucket up to 20 µs
    }
    l.record(2_000_000_000L); // 2 s: the last bucket, 100 ms and more
    assertThat(l.quantile(0.5)).isCloseTo(0.02, within(1e-9));
    assertThat(l.quantile(0.99)).isCloseTo(0.02, within(1e-9));
    assertThat(l.quantile(1.0)).isCloseTo(100.01, within(1e-9));
    assertThat(new LedgerBench.Latency().quantile(0.5)).isZero();
  }
}
