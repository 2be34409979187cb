package dev.bastion.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.VerificationException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Segments#scan} visits the complete lines in range and returns where the torn tail starts. */
class SegmentsScanTest {
  @TempDir Path tmp;

  /** What scan must do, one byte at a time. */
  private static long reference(byte[] data, int from, long limit, List<String> out) {
    long start = from;
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int i = from; i < data.length && i < limit; i++) {
      if (data[i] != '\n') {
        line.write(data[i]);
        continue;
      }
      out.add(start + ":" + Arrays.toString(line.toByteArray()));
      line.reset();
      start = i + 1;
    }
    return start;
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void visitsWhatAByteByByteReadWould(long seed) throws Exception {
    Random r = new Random(seed);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int lines = r.nextInt(200);
    for (int i = 0; i < lines; i++) {
      // Lines of every size around the 64 KiB block: short ones, and ones that span blocks.
      int len = r.nextInt(10) == 0 ? r.nextInt(200_000) : r.nextInt(300);
      for (int j = 0; j < len; j++) {
        b.write('a' + r.nextInt(26));
      }
      b.write('\n');
    }
    for (int j = r.nextInt(100); j > 0; j--) {
      b.write('z'); // a torn tail
    }
    byte[] data = b.toByteArray();
    Path f = tmp.resolve("seg-" + seed);
    Files.write(f, data);
    int from = 0;
    for (int i = 0; i < data.length && r.nextBoolean(); i++) {
      if (data[i] == '\n') {
        from = i + 1; // scans start at a line boundary
      }
    }
    long limit = r.nextBoolean() ? Long.MAX_VALUE : from + r.nextInt(data.length - from + 1);

    List<String> expected = new ArrayList<>();
    long expectedEnd = reference(data, from, limit, expected);
    List<String> got = new ArrayList<>();
    long end = Segments.scan(f, from, limit,
        (offset, line) -> got.add(offset + ":" + Arrays.toString(line)));

    assertThat(got).isEqualTo(expected);
    assertThat(end).isEqualTo(expectedEnd);
  }

  @Test
  void aLineLongerThanTheLimitIsRefused() throws Exception {
    byte[] data = new byte[Segments.MAX_LINE + 10];
    Arrays.fill(data, (byte) 'x');
    data[3] = '\n';
    Path f = tmp.resolve("long");
    Files.write(f, data);
    assertThatThrownBy(() -> Segments.scan(f, 0, Long.MAX_VALUE, (o, l) -> { }))
        .isInstanceOf(VerificationException.class).hasMessageContaining("a line at byte 4");
    // exactly MAX_LINE bytes is still a line
    byte[] fits = new byte[Segments.MAX_LINE + 1];
    Arrays.fill(fits, (byte) 'y');
    fits[Segments.MAX_LINE] = '\n';
    Files.write(f, fits);
    List<Integer> sizes = new ArrayList<>();
    assertThat(Segments.scan(f, 0, Long.MAX_VALUE, (o, l) -> sizes.add(l.length)))
        .isEqualTo(Segments.MAX_LINE + 1L);
    assertThat(sizes).containsExactly(Segments.MAX_LINE);
  }
}
