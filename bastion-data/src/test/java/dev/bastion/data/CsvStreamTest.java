package dev.bastion.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CsvReader#stream}: the same answers as {@link CsvReader#read} on seeded random inputs
 * (rows, lines, or a refusal), bounded work on hostile input, one-line errors naming the row.
 */
class CsvStreamTest {
  record Streamed(List<String> columns, List<List<String>> cells, List<Long> lines) {}

  static Streamed stream(CsvReader.Options o, byte[] bytes) throws BadInputException {
    return stream(o, new ByteArrayInputStream(bytes));
  }

  static Streamed stream(CsvReader.Options o, InputStream in) throws BadInputException {
    List<String> columns = new ArrayList<>();
    List<List<String>> cells = new ArrayList<>();
    List<Long> lines = new ArrayList<>();
    try {
      long n = new CsvReader(o).stream(in, CsvFixtures.NAME, new CsvReader.RowVisitor() {
        @Override
        public void header(List<String> c) {
          columns.addAll(c);
        }

        @Override
        public void row(long row, long line, String[] c) {
          assertThat(row).isEqualTo(cells.size() + 1);
          cells.add(List.of(c));
          lines.add(line);
        }
      });
      assertThat(n).isEqualTo(cells.size());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return new Streamed(columns, cells, lines);
  }

  static LongStream seeds() {
    return LongStream.range(0, 30).map(i -> 0x57AE_A3L + i);
  }

  /** 100 mutated tables per seed: stream and read accept the same inputs with the same rows. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void streamAgreesWithRead(long seed) {
    Random rnd = new Random(seed);
    for (int i = 0; i < 100; i++) {
      CsvReader.Options o = new CsvReader.Options(',', 1 << 20, 1 + rnd.nextInt(24),
          1 + rnd.nextInt(10), rnd.nextInt(25));
      String text = new String(CsvFixtures.randomTable(rnd).toCsv(), StandardCharsets.UTF_8);
      if (rnd.nextBoolean()) {
        text = CsvReaderRandomInputTest.mutate(rnd, text);
      }
      if (!CsvFixtures.wellFormedUtf16(text)) {
        continue; // a file cannot hold unpaired surrogates
      }
      Table t = null;
      String readError = null;
      try {
        t = CsvFixtures.read(o, text);
      } catch (BadInputException e) {
        readError = e.getMessage();
      }
      Streamed s = null;
      String streamError = null;
      try {
        s = stream(o, text.getBytes(StandardCharsets.UTF_8));
      } catch (BadInputException e) {
        streamError = e.getMessage();
        assertThat(streamError).startsWith(CsvFixtures.NAME + ": ").doesNotContain("\n");
      }
      assertThat(streamError == null).as("read: %s, stream: %s, input %s", readError,
          streamError, text).isEqualTo(readError == null);
      if (t != null && s != null) {
        assertThat(s.columns()).isEqualTo(t.columns());
        assertThat(s.cells()).isEqualTo(CsvFixtures.cells(t));
        assertThat(s.lines()).isEqualTo(CsvFixtures.lines(t));
      }
    }
  }

  /** Rows that straddle the 64 KiB decoding blocks, with multi-byte characters and CRLF in quotes. */
  @Test
  void rowsAcrossBlockBoundaries() throws Exception {
    StringBuilder sb = new StringBuilder("a,b,c\r\n");
    for (int i = 0; i < 20_000; i++) {
      sb.append(i).append(",\"x\u00e9\r\n\"\"q\"\"\",\uD83D\uDE00").append(i % 7 == 0 ? "\n" : "\r\n");
    }
    String text = sb.toString();
    Streamed s = stream(CsvReader.Options.STREAMING, text.getBytes(StandardCharsets.UTF_8));
    Table t = CsvFixtures.read(text);
    assertThat(s.cells()).isEqualTo(CsvFixtures.cells(t));
    assertThat(s.lines()).isEqualTo(CsvFixtures.lines(t));
  }

  /**
   * The digest taken beside the parsing is the file's, for files of zero to many hashing blocks
   * (more than the blocks in flight), and the rows are the ones read without it.
   */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3_000, 40_000, 250_000})
  void digestBesideTheParsingIsTheFiles(int rows, @TempDir Path dir) throws Exception {
    StringBuilder sb = new StringBuilder("a,b\n");
    for (int i = 0; i < rows; i++) {
      sb.append(i).append(",\"v\u00e9 ").append(i * 7919L % 1000).append("\"\n");
    }
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    Path f = Files.write(dir.resolve("d.csv"), bytes);
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    List<String> seen = new ArrayList<>();
    long n = new CsvReader(CsvReader.Options.STREAMING).stream(f, new CsvReader.RowVisitor() {
      @Override
      public void header(List<String> c) {}

      @Override
      public void row(long row, long line, String[] c) {
        seen.add(String.join("|", c));
      }
    }, sha);
    assertThat(n).isEqualTo(rows);
    assertThat(sha.digest())
        .isEqualTo(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    assertThat(seen).isEqualTo(stream(CsvReader.Options.STREAMING, bytes).cells().stream()
        .map(c -> String.join("|", c)).toList());
  }

  /** An endless line is refused at the field limit after reading about that much, not buffered. */
  @ParameterizedTest
  @ValueSource(strings = {"x", ",", "\""})
  void anEndlessLineStopsAtALimit(String unit) {
    long[] served = {0};
    byte[] header = "a,b\n1,".getBytes(StandardCharsets.UTF_8);
    byte u = unit.getBytes(StandardCharsets.UTF_8)[0];
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        long i = served[0]++;
        return i < header.length ? header[(int) i] : u;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
          b[off + i] = (byte) read();
        }
        return len;
      }
    };
    assertThatThrownBy(() -> stream(CsvReader.Options.STREAMING, endless))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(CsvFixtures.NAME + ": row 1 (line 2): ");
    assertThat(served[0]).isLessThan(1 << 20);
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "|empty file, expected a CSV header",
    "a,b\n1,2\n3\n|row 2 (line 3): 1 fields, the header has 2",
    "a,b\n1,2\n3,4,5\n|row 2 (line 3): more fields than the header's 2",
    "a,b\n1,\"2\n|row 1 (line 2): quoted field not closed before end of file",
    "a,b\n1,2\n3,\u0000\n|row 2 (line 3): NUL byte; this is not a text CSV file",
  })
  void malformedInputIsOneLineNamingTheRow(String spec) {
    String[] parts = spec.split("\\|", 2);
    assertThatThrownBy(() -> stream(CsvReader.Options.STREAMING, parts[0].getBytes(
        StandardCharsets.UTF_8)))
        .isInstanceOf(BadInputException.class)
        .hasMessage(CsvFixtures.NAME + ": " + parts[1]);
  }

  @Test
  void invalidUtf8NamesTheRow(@TempDir Path dir) throws Exception {
    StringBuilder sb = new StringBuilder("a,b\n");
    for (int i = 0; i < 10_000; i++) {
      sb.append(i).append(",\u00e9\n");
    }
    byte[] ok = sb.toString().getBytes(StandardCharsets.UTF_8);
    byte[] bytes = Arrays.copyOf(ok, ok.length + 6);
    System.arraycopy(new byte[] {'9', ',', (byte) 0xC3, (byte) 0x28, '\n', 'x'}, 0, bytes,
        ok.length, 6);
    Path f = Files.write(dir.resolve("bad.csv"), bytes);
    assertThatThrownBy(() -> new CsvReader(CsvReader.Options.STREAMING).stream(f,
        new CsvReader.RowVisitor() {
          @Override
          public void header(List<String> c) {}

          @Override
          public void row(long row, long line, String[] c) {}
        }))
        .isInstanceOf(BadInputException.class)
        .hasMessage(f + ": row 10001 (line 10002): not UTF-8 text");
  }

  @Test
  void fileLimitsAreChecked(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("big.csv"), "a,b\n1,2\n");
    CsvReader small = new CsvReader(new CsvReader.Options(',', 4, 64, 8, 8));
    assertThatThrownBy(() -> small.stream(f, null))
        .hasMessage(f + ": 8 bytes is more than the limit of 4");
    assertThatThrownBy(() -> small.stream(dir.resolve("none.csv"), null))
        .hasMessage(dir.resolve("none.csv") + ": no such file");
    assertThatThrownBy(() -> small.stream(new ByteArrayInputStream(new byte[5]), "s", null))
        .hasMessage("s: more than the limit of 4 bytes");
  }
}
