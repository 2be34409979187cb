package dev.bastion.ledger;

import static dev.bastion.ledger.LedgerTestKit.KEY;
import static dev.bastion.ledger.LedgerTestKit.SIGNER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.core.VerificationException;
import dev.bastion.ledger.tlog.AddCheckpoint;
import dev.bastion.ledger.tlog.Checkpoint;
import dev.bastion.ledger.tlog.NoteSigner;
import dev.bastion.ledger.tlog.Witness;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link LedgerVerifier#consistency}: witness requests from a real ledger, and rewrites caught. */
class LedgerWitnessTest {
  @TempDir Path tmp;

  static Stream<Long> seeds() {
    return LongStream.rangeClosed(1, 6).boxed();
  }

  private static void append(Path dir, long seed, int n) throws Exception {
    try (Ledger l = Ledger.open(dir, SIGNER)) {
      for (int i = 0; i < n; i++) {
        l.append(LedgerTestKit.event(seed, l.size()));
      }
    }
  }

  private static Checkpoint latest(Path dir) throws Exception {
    return Checkpoint.parse(KEY.verify(LedgerVerifier.latestCheckpoint(dir)));
  }

  /** A ledger growing in random steps gets every step cosigned from the requests it writes. */
  @ParameterizedTest
  @MethodSource("seeds")
  void everyStepOfAGrowingLedgerIsCosigned(long seed) throws Exception {
    Random r = new Random(seed);
    Path dir = tmp.resolve("ledger");
    append(dir, seed, 1);
    Witness w = Witness.create(tmp.resolve("w"), "witness.example/w");
    w.trust(latest(dir).origin(), KEY);
    long old = 0;
    byte[] cosigned = null;
    for (int step = 0; step < 6; step++) {
      append(dir, seed, step == 2 ? 0 : r.nextInt(1, 50));
      byte[] oldRoot = cosigned == null ? null
          : Checkpoint.parse(KEY.verify(cosigned)).rootHash();
      AddCheckpoint req = LedgerVerifier.consistency(dir, KEY, old, oldRoot);
      // Sent as bytes, as between two machines.
      cosigned = w.addCheckpoint(AddCheckpoint.parse(req.format()), 1_800_000_000L);
      assertThat(w.cosignerVerifier().verifyCosignature(cosigned)).isEqualTo(1_800_000_000L);
      Checkpoint c = Checkpoint.parse(KEY.verify(cosigned));
      assertThat(c).isEqualTo(latest(dir));
      old = c.size();
    }
    // verify --since a cosigned checkpoint holds.
    assertThat(LedgerVerifier.verify(dir, KEY, cosigned).since()).isEqualTo(old);
  }

  /** Someone with the ledger's key rewrites the log: no request leads the witness along. */
  @Test
  void aLogRewrittenWithItsOwnKeyGetsNoCosignature() throws Exception {
    Path dir = tmp.resolve("ledger");
    append(dir, 1, 20);
    Witness w = Witness.create(tmp.resolve("w"), "witness.example/w");
    String origin = latest(dir).origin();
    w.trust(origin, KEY);
    byte[] cosigned = w.addCheckpoint(LedgerVerifier.consistency(dir, KEY, 0, null), 1);
    Checkpoint before = Checkpoint.parse(KEY.verify(cosigned));

    // Entry 7 replaced, then the log grown on: every entry re-signed with the ledger's own key.
    List<byte[]> lines = new ArrayList<>(LedgerTestKit.entryLines(LedgerTestKit.onlySegment(dir)));
    lines.set(7, Segments.entryLine(7, LedgerTestKit.event(99, 7).canonical()));
    LedgerTestKit.forge(dir, lines, SIGNER, origin);
    append(dir, 1, 10);
    // The log's own tool, given the cosigned checkpoint, says so before the witness does.
    assertThatThrownBy(() -> LedgerVerifier.consistency(dir, KEY, 20, before.rootHash()))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("the log was rewritten since");
    // A request made without that check is refused by the witness.
    AddCheckpoint forged = LedgerVerifier.consistency(dir, KEY, 20, null);
    assertThatThrownBy(() -> w.addCheckpoint(forged, 2))
        .isInstanceOfSatisfying(Witness.Refusal.class,
            e -> assertThat(e.status()).isEqualTo(Witness.Refusal.Status.INVALID_PROOF));
    assertThat(w.latest(origin)).isEqualTo(cosigned);
  }

  @Test
  void aLogCutBehindTheCheckpointIsACheckFailureNotBadInput() throws Exception {
    Path dir = tmp.resolve("ledger");
    append(dir, 1, 20);
    Checkpoint c = latest(dir);
    List<byte[]> lines = LedgerTestKit.entryLines(LedgerTestKit.onlySegment(dir));
    LedgerTestKit.forge(dir, lines.subList(0, 12), SIGNER, c.origin());
    append(dir, 1, 0);
    assertThatThrownBy(() -> LedgerVerifier.consistency(dir, KEY, 20, c.rootHash()))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("fewer than the 20 of the earlier checkpoint: it was cut");
    assertThatThrownBy(() -> LedgerVerifier.consistency(dir, KEY, 20, null))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("not between 0 and the 12 entries");
    assertThatThrownBy(() -> LedgerVerifier.consistency(dir, KEY, -1, null))
        .isInstanceOf(BadInputException.class);
  }

  @Test
  void anotherLogsKeyIsRefused() throws Exception {
    Path dir = tmp.resolve("ledger");
    append(dir, 1, 3);
    NoteSigner other = NoteSigner.generate("test-ledger");
    assertThatThrownBy(() -> LedgerVerifier.consistency(dir, LedgerTestKit.verifier(other), 0,
        null)).isInstanceOf(VerificationException.class);
  }
}
