package dev.bastion.ledger.tlog;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link AddCheckpoint}: the c2sp.org/tlog-witness add-checkpoint body, written and read. */
class AddCheckpointTest {
  static Stream<Long> seeds() {
    return IntStream.rangeClosed(1, 40).mapToObj(i -> (long) i);
  }

  /** Whatever is written reads back equal, and is read from the same bytes again. */
  @ParameterizedTest
  @MethodSource("seeds")
  void formatThenParseGivesTheSameRequest(long seed) throws Exception {
    Random r = new Random(seed);
    long old = switch (r.nextInt(4)) {
      case 0 -> 0;
      case 1 -> Long.MAX_VALUE - r.nextInt(10);
      default -> r.nextLong(1, 1L << 40);
    };
    List<byte[]> proof = new ArrayList<>();
    int n = r.nextInt(AddCheckpoint.MAX_PROOF_HASHES + 1);
    for (int i = 0; i < n; i++) {
      byte[] h = new byte[32];
      r.nextBytes(h);
      proof.add(h);
    }
    byte[] note = new byte[1 + r.nextInt(300)];
    r.nextBytes(note);
    AddCheckpoint a = new AddCheckpoint(old, proof, note);
    byte[] bytes = a.format();
    AddCheckpoint b = AddCheckpoint.parse(bytes);
    assertThat(b).isEqualTo(a).hasSameHashCodeAs(a);
    assertThat(b.format()).isEqualTo(bytes);
    assertThat(b.oldSize()).isEqualTo(old);
    assertThat(b.proof()).hasSize(n);
  }

  @org.junit.jupiter.api.Test
  void theLayoutIsTheProtocols() throws Exception {
    byte[] h = new byte[32];
    h[0] = 1;
    byte[] note = "o\n5\nAAAA\n\n\u2014 k sig\n".getBytes(UTF_8);
    String s = new String(new AddCheckpoint(3, List.of(h, new byte[32]), note).format(), UTF_8);
    assertThat(s).isEqualTo("old 3\nAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
        + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n" + new String(note, UTF_8));
  }

  static Stream<Arguments> malformed() {
    String hash = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    return Stream.of(
        Arguments.of("", "line 1: missing"),
        Arguments.of("old 3", "line 1: does not end with a newline"),
        Arguments.of("new 3\n\nx\n", "line 1: does not start with \"old \""),
        Arguments.of("old \n\nx\n", "line 1: the old size \"\""),
        Arguments.of("old 03\n\nx\n", "line 1: the old size \"03\""),
        Arguments.of("old -1\n\nx\n", "line 1: the old size \"-1\""),
        Arguments.of("old +1\n\nx\n", "line 1: the old size \"+1\""),
        Arguments.of("old 9223372036854775808\n\nx\n", "within 64 bits"),
        Arguments.of("old 1 \n\nx\n", "line 1: the old size \"1 \""),
        Arguments.of("old 1\n" + hash, "line 3: missing"),
        Arguments.of("old 1\n" + hash + "\n", "no checkpoint after the empty line 3"),
        Arguments.of("old 1\nAAAA\n\nx\n", "line 2: not a 32-byte hash"),
        Arguments.of("old 1\n" + hash.replace("=", "") + "\nx\n", "line 2: not a 32-byte"),
        Arguments.of("old 1\n" + hash.replace("\n", "\r\n") + "\nx\n", "line 2: not a 32-byte"),
        Arguments.of("old 1\n" + hash.repeat(64) + "\nx\n", "line 65: more than 63"));
  }

  @ParameterizedTest
  @MethodSource("malformed")
  void malformedRequestsAreRefusedNamingTheLine(String request, String expected) {
    assertThatThrownBy(() -> AddCheckpoint.parse(request.getBytes(UTF_8)))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("witness request: ")
        .hasMessageContaining(expected)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @org.junit.jupiter.api.Test
  void sixtyThreeHashesAreTheMostAllowed() throws Exception {
    String hash = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    assertThat(AddCheckpoint.parse(("old 1\n" + hash.repeat(63) + "\nx\n").getBytes(UTF_8))
        .proof()).hasSize(63);
    assertThatThrownBy(() -> new AddCheckpoint(1, java.util.Collections.nCopies(64,
        new byte[32]), new byte[1])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AddCheckpoint(-1, List.of(), new byte[1]))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
