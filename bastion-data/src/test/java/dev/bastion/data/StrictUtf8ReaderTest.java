package dev.bastion.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link StrictUtf8Reader} against the JDK's strict decoder: the same text for valid input, a
 * refusal for the same invalid input, and every character before the first bad sequence handed
 * out before the refusal.
 */
class StrictUtf8ReaderTest {
  static LongStream seeds() {
    return LongStream.rangeClosed(1, 60);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void decodesAsTheJdkDoesAndRefusesAtTheSameByte(long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int t = 0; t < 50; t++) {
      byte[] bytes = sample(rnd);
      CharsetDecoder jdk = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
      ByteBuffer in = ByteBuffer.wrap(bytes);
      CharBuffer out = CharBuffer.allocate(bytes.length + 1);
      CoderResult r = jdk.decode(in, out, true);
      if (!r.isError()) {
        r = jdk.flush(out);
      }
      String before = out.flip().toString();
      StringBuilder got = new StringBuilder();
      boolean refused = false;
      // Small, random reads (single characters too) across the reader's buffer boundaries.
      try (Reader reader = new StrictUtf8Reader(new Trickle(bytes, rnd.split()))) {
        char[] buf = new char[7];
        while (true) {
          int n;
          if (rnd.nextInt(3) == 0) {
            int c = reader.read();
            if (c == -1) {
              break;
            }
            got.append((char) c);
            continue;
          }
          n = reader.read(buf, 0, 1 + rnd.nextInt(buf.length));
          if (n == -1) {
            break;
          }
          got.append(buf, 0, n);
        }
      } catch (MalformedInputException e) {
        refused = true;
      }
      assertThat(refused).as("refused, seed %d sample %d", seed, t).isEqualTo(r.isError());
      assertThat(got.toString()).as("text before any refusal").isEqualTo(before);
    }
  }

  /** Text with now and then a byte or sequence that is not UTF-8, or one cut short. */
  private static byte[] sample(SplittableRandom rnd) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int n = rnd.nextInt(40);
    for (int i = 0; i < n; i++) {
      int kind = rnd.nextInt(10);
      if (kind < 6) {
        int cp = switch (rnd.nextInt(4)) {
          case 0 -> rnd.nextInt(0x80);
          case 1 -> 0x80 + rnd.nextInt(0x780);
          case 2 -> {
            int c = 0x800 + rnd.nextInt(0x10000 - 0x800);
            yield Character.isSurrogate((char) c) ? 'x' : c;
          }
          default -> 0x10000 + rnd.nextInt(0x100000);
        };
        b.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
      } else if (kind < 8 && rnd.nextInt(4) == 0) {
        b.write(rnd.nextInt(256)); // any byte
      } else if (kind == 8 && rnd.nextInt(4) == 0) {
        // the first bytes of a longer sequence only
        byte[] s = new String(Character.toChars(0x10000 + rnd.nextInt(0x100000)))
            .getBytes(StandardCharsets.UTF_8);
        b.write(s, 0, 1 + rnd.nextInt(3));
      } else {
        b.write('a' + rnd.nextInt(26));
      }
    }
    return b.toByteArray();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"C0AF", "E080AF", "EDA080", "F4908080", "F8888080", "80", "FF", "E4B8",
      "F09F98"})
  void refusesOverlongSurrogateTooLargeAndCutShort(String hex) {
    byte[] bad = java.util.HexFormat.of().parseHex(hex);
    byte[] bytes = new byte[bad.length + 2];
    bytes[0] = 'o';
    bytes[1] = 'k';
    System.arraycopy(bad, 0, bytes, 2, bad.length);
    StringBuilder got = new StringBuilder();
    assertThatThrownBy(() -> {
      try (Reader r = new StrictUtf8Reader(new ByteArrayInputStream(bytes))) {
        for (int c = r.read(); c != -1; c = r.read()) {
          got.append((char) c);
        }
      }
    }).isInstanceOf(MalformedInputException.class);
    assertThat(got.toString()).isEqualTo("ok");
  }

  @Test
  void aBadByteAtTheStartOfALineNamesThatRowInBothCsvReaders(@TempDir Path dir)
      throws IOException {
    byte[] bytes = "a,c\n1,p\n2,q\n3,p\n\u0000,q\n4,p\n".getBytes(StandardCharsets.UTF_8);
    bytes[16] = (byte) 0xff; // the first byte of row 4, line 5
    Path f = Files.write(dir.resolve("u.csv"), bytes);
    String expected = f + ": row 4 (line 5): not UTF-8 text";
    assertThatThrownBy(() -> new CsvReader().read(f))
        .isInstanceOf(BadInputException.class).hasMessage(expected);
    assertThatThrownBy(() -> new CsvReader(CsvReader.Options.STREAMING).stream(f,
        new CsvReader.RowVisitor() {
          @Override
          public void header(java.util.List<String> columns) {}

          @Override
          public void row(long row, long line, String[] cells) {}
        }))
        .isInstanceOf(BadInputException.class).hasMessage(expected);
  }

  /** Hands out its bytes a few at a time, as a pipe or socket might. */
  private static final class Trickle extends InputStream {
    private final byte[] bytes;
    private final SplittableRandom rnd;
    private int pos;

    Trickle(byte[] bytes, SplittableRandom rnd) {
      this.bytes = bytes;
      this.rnd = rnd;
    }

    @Override
    public int read() {
      return pos < bytes.length ? bytes[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= bytes.length) {
        return -1;
      }
      int n = Math.min(Math.min(len, 1 + rnd.nextInt(5)), bytes.length - pos);
      System.arraycopy(bytes, pos, b, off, n);
      pos += n;
      return n;
    }
  }
}
