package dev.bastion.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link CsvReader#streamSplit}: when it splits, its two parts give exactly the rows, row numbers,
 * lines and digest of reading the file whole; it refuses to split exactly when it must (the cut
 * inside a quoted field, a part that is not valid CSV, a limit broken across the parts, a file
 * changed while read).
 */
class CsvSplitTest {
  @TempDir Path tmp;

  /** Rows as "row|line|cells", in the file's numbering. */
  private static class Collect implements CsvReader.RowVisitor {
    final List<String> header = new ArrayList<>();
    final List<String> rows = new ArrayList<>();

    @Override
    public void header(List<String> columns) {
      header.addAll(columns);
    }

    @Override
    public void row(long row, long line, String[] cells) {
      rows.add(row + "|" + line + "|" + String.join("\u0001", cells));
    }

    /** The rows shifted by a split's offsets. */
    List<String> shifted(long rowOffset, long lineOffset) {
      return rows.stream().map(r -> {
        String[] p = r.split("\\|", 3);
        return (Long.parseLong(p[0]) + rowOffset) + "|" + (Long.parseLong(p[1]) + lineOffset)
            + "|" + p[2];
      }).toList();
    }
  }

  /** What a test visitor does with each row, after collecting it. */
  private interface OnRow {
    void row(long row, long line, String[] cells) throws Exception;
  }

  /** A visitor that collects each row, then does {@code action} with it. */
  private static Collect then(OnRow action) {
    return new Collect() {
      @Override
      public void row(long row, long line, String[] cells) {
        super.row(row, line, cells);
        try {
          action.row(row, line, cells);
        } catch (RuntimeException e) {
          throw e;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    };
  }

  /** What reading the file whole gives: rows and digest, or the error. */
  private record Whole(List<String> rows, String digest, String error) {}

  private static Whole whole(CsvReader reader, Path f) throws IOException {
    Collect c = new Collect();
    MessageDigest sha = sha256();
    try {
      reader.stream(f, c, sha);
    } catch (BadInputException e) {
      return new Whole(null, null, e.getMessage());
    }
    return new Whole(c.rows, HexFormat.of().formatHex(sha.digest()), null);
  }

  static LongStream seeds() {
    return LongStream.range(0, 40).map(i -> 0x5B117L + i);
  }

  /**
   * Seeded random tables, some mutated into invalid CSV, with random limits: a split gives the
   * whole file's rows and digest; no split happens only when the file cannot be read whole, has
   * no line feed past its middle, or its first part (cut inside a quoted field) is not CSV.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void aSplitReadsWhatTheWholeFileReads(long seed) throws Exception {
    Random rnd = new Random(seed);
    int splits = 0;
    int insideQuotes = 0;
    for (int i = 0; i < 40; i++) {
      CsvReader.Options o = rnd.nextBoolean() ? CsvReader.Options.STREAMING
          : new CsvReader.Options(',', 1 << 20, 1 + rnd.nextInt(24), 1 + rnd.nextInt(10),
              rnd.nextInt(25));
      Table t = CsvFixtures.randomTable(rnd);
      String text = new String(t.toCsv(), StandardCharsets.UTF_8);
      if (rnd.nextInt(3) == 0) {
        text = CsvReaderRandomInputTest.mutate(rnd, text);
      }
      if (!CsvFixtures.wellFormedUtf16(text)) {
        continue;
      }
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      Path f = Files.write(tmp.resolve("s.csv"), bytes);
      CsvReader reader = new CsvReader(o);
      Whole w = whole(reader, f);

      Collect first = new Collect();
      Collect second = new Collect();
      MessageDigest sha = sha256();
      Optional<CsvReader.Split> split = reader.streamSplit(f, first, second, sha);
      if (split.isPresent()) {
        splits++;
        CsvReader.Split s = split.get();
        assertThat(w.error()).as("split a file that does not read: %s", text).isNull();
        List<String> rows = new ArrayList<>(first.rows);
        rows.addAll(second.shifted(s.firstRows(), s.firstLines()));
        assertThat(rows).isEqualTo(w.rows());
        assertThat(s.rows()).isEqualTo(w.rows().size());
        assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(w.digest());
        assertThat(second.header).isEqualTo(first.header);
        continue;
      }
      long cut = cut(bytes);
      if (w.error() != null || cut < 0) {
        continue;
      }
      // Refused although the file reads whole: only if the first part alone is not CSV, i.e.
      // the cut is inside a quoted field.
      Path prefix = Files.write(tmp.resolve("p.csv"), java.util.Arrays.copyOf(bytes, (int) cut));
      assertThat(whole(new CsvReader(CsvReader.Options.STREAMING), prefix).error())
          .as("no split of %s", text).isNotNull();
      insideQuotes++;
    }
    assertThat(splits).as("splits").isPositive();
    assertThat(splits + insideQuotes).isPositive();
  }

  /** The byte after the first line feed at or past the middle, as the reader cuts; -1 if none. */
  private static long cut(byte[] bytes) {
    for (int i = bytes.length / 2; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        return i + 1 < bytes.length && bytes.length / 2 > 0 ? i + 1 : -1;
      }
    }
    return -1;
  }

  /** A line feed inside a quoted field at the middle is not taken for a record's end. */
  @Test
  void aCutInsideAQuotedFieldIsRefused() throws Exception {
    String head = "a,b\n" + "1,2\n".repeat(100);
    String quoted = "3,\"" + "x\n".repeat(200) + "\"\n";
    Path f = Files.writeString(tmp.resolve("q.csv"), head + quoted + "4,5\n".repeat(10),
        StandardCharsets.UTF_8);
    assertThat(new CsvReader(CsvReader.Options.STREAMING)
        .streamSplit(f, new Collect(), new Collect(), sha256())).isEmpty();
    // Where the cut does fall between records, the same reader splits.
    Path g = Files.writeString(tmp.resolve("g.csv"), head + quoted + "4,5\n".repeat(400),
        StandardCharsets.UTF_8);
    assertThat(new CsvReader(CsvReader.Options.STREAMING)
        .streamSplit(g, new Collect(), new Collect(), sha256())).isPresent();
  }

  /** Errors in either part, and a row limit broken only by the two parts together. */
  @Test
  void badInputInEitherPartIsLeftToTheWholeRead() throws Exception {
    String rows = "1,2\n".repeat(1000);
    CsvReader r = new CsvReader(CsvReader.Options.STREAMING);
    for (String text : List.of(rows + "3,4,5\n" + rows, "a,b\n" + rows + rows + "3\n",
        "a,b\n1,2,3\n" + rows + rows, "a,b\n" + rows + "\"x\"y,1\n" + rows)) {
      Path f = Files.writeString(tmp.resolve("bad.csv"), text, StandardCharsets.UTF_8);
      assertThat(r.streamSplit(f, new Collect(), new Collect(), sha256())).as(text).isEmpty();
    }
    Path f = Files.writeString(tmp.resolve("many.csv"), "a,b\n" + rows + rows,
        StandardCharsets.UTF_8);
    CsvReader limited = new CsvReader(new CsvReader.Options(',', 1 << 20, 100, 10, 1999));
    assertThat(limited.streamSplit(f, new Collect(), new Collect(), sha256())).isEmpty();
    CsvReader enough = new CsvReader(new CsvReader.Options(',', 1 << 20, 100, 10, 2000));
    assertThat(enough.streamSplit(f, new Collect(), new Collect(), sha256())).isPresent();
  }

  /**
   * Bytes of the second part changed after that part parsed them: the digest could not be of the
   * bytes parsed, so the split is refused (and a whole read hashes what it parses).
   */
  @Test
  void aFileChangedWhileReadIsNotSplit() throws Exception {
    byte[] bytes = ("a,b\n" + "10,20\n".repeat(2000)).getBytes(StandardCharsets.UTF_8);
    Path f = Files.write(tmp.resolve("c.csv"), bytes);
    long cut = cut(bytes);
    Collect second = then((row, line, cells) -> {
      if (row == 1) {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
          raf.seek(cut);
          raf.write('3'); // "10,20" becomes "30,20": still CSV
        }
      }
    });
    MessageDigest sha = sha256();
    assertThat(new CsvReader(CsvReader.Options.STREAMING).streamSplit(f, new Collect(), second,
        sha)).isEmpty();
    assertThat(second.rows.get(0)).endsWith("10\u000120");
    // Unchanged, the same file splits.
    Files.write(f, bytes);
    assertThat(new CsvReader(CsvReader.Options.STREAMING)
        .streamSplit(f, new Collect(), new Collect(), sha256())).isPresent();
  }

  /**
   * The first part's bytes changed under it after the cut was chosen: cut short, or the line feed
   * before the cut overwritten, so its last record would run on into the second part. Either way
   * its rows and the second part's are not a one-pass read of the bytes digested: refused.
   */
  @Test
  void aFirstPartChangedUnderItIsNotSplit() throws Exception {
    byte[] bytes = ("a,b\n" + "10,20\n".repeat(200_000)).getBytes(StandardCharsets.UTF_8);
    long cut = cut(bytes);
    for (String change : List.of("truncate", "overwrite")) {
      Path f = Files.write(tmp.resolve("f.csv"), bytes);
      Collect first = then((row, line, cells) -> {
        if (row == 1) {
          try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            if (change.equals("truncate")) {
              raf.setLength(cut - 3); // mid-record, before the cut
            } else {
              raf.seek(cut - 1);
              raf.write('7');
            }
          }
        }
      });
      assertThat(new CsvReader(CsvReader.Options.STREAMING).streamSplit(f, first, new Collect(),
          sha256())).as(change).isEmpty();
      assertThat(first.rows).as(change).hasSizeGreaterThan(1000);
    }
  }

  /**
   * Bad input at the end of the first part and a visitor failing at the start of the second (so
   * the second fails first in time): a one-pass read meets the bad input first, so the split is
   * given up for the whole read, rather than the later failure thrown.
   */
  @Test
  void badInputInTheFirstPartComesBeforeAFailureInTheSecond() throws Exception {
    // The cut falls just after "3\n", so "boom" is the second part's first row.
    String text = "a,b\n" + "1,2\n".repeat(200_000) + "3\n" + "boom,2\n"
        + "1,2\n".repeat(199_999);
    Path f = Files.writeString(tmp.resolve("b.csv"), text, StandardCharsets.UTF_8);
    Collect failing = then((row, line, cells) -> {
      if (cells[0].equals("boom")) {
        throw new IllegalStateException("visitor refused row " + row);
      }
    });
    for (int i = 0; i < 3; i++) {
      Collect first = new Collect();
      assertThat(new CsvReader(CsvReader.Options.STREAMING).streamSplit(f, first, failing,
          sha256())).isEmpty();
      assertThat(first.rows).hasSize(200_000);
    }
  }

  /**
   * The caller interrupted mid-read: the call ends with the interrupt reported and kept, and no
   * thread it started is left running.
   */
  @Test
  void anInterruptedCallLeavesNoThreadBehind() throws Exception {
    Path f = Files.writeString(tmp.resolve("i.csv"), "a,b\n" + "1,2\n".repeat(100_000),
        StandardCharsets.UTF_8);
    Collect interrupting = then((row, line, cells) -> {
      if (row == 4000) {
        Thread.currentThread().interrupt();
      }
    });
    Collect slow = then((row, line, cells) -> {
      if (row < 2000) { // slow to notice that it should stop
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
      }
    });
    try {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> new CsvReader(
              CsvReader.Options.STREAMING).streamSplit(f, interrupting, slow, sha256()))
          .isInstanceOf(java.io.InterruptedIOException.class);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(
        t -> t.getName().equals("bastion-csv-second-part") && t.isAlive());
  }

  /** A visitor's own failure is not hidden behind a whole read: it reaches the caller. */
  @Test
  void aVisitorsRuntimeFailureIsThrown() throws Exception {
    Path f = Files.writeString(tmp.resolve("v.csv"), "a,b\n" + "1,2\n".repeat(1000),
        StandardCharsets.UTF_8);
    Collect failing = then((row, line, cells) -> {
      throw new IllegalStateException("visitor failed at " + row);
    });
    CsvReader r = new CsvReader(CsvReader.Options.STREAMING);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> r.streamSplit(f, new Collect(), failing, sha256()))
        .hasMessage("visitor failed at 1");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> r.streamSplit(f, failing, new Collect(), sha256()))
        .hasMessage("visitor failed at 1");
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
