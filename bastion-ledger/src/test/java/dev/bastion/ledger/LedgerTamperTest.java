package dev.bastion.ledger;

import static dev.bastion.ledger.LedgerTestKit.KEY;
import static dev.bastion.ledger.LedgerTestKit.SIGNER;
import static dev.bastion.ledger.LedgerTestKit.events;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.core.VerificationException;
import dev.bastion.ledger.tlog.NoteSigner;
import dev.bastion.ledger.tlog.NoteVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What an attacker with write access to the ledger's files can do, and what catches it: a changed,
 * removed or moved entry is caught by {@code audit verify} and named; a truncated or rewritten log
 * (re-signed with the same key or a new one) passes that, and is caught by {@code verify --since}
 * an earlier exported checkpoint.
 */
class LedgerTamperTest {
  private static final int N = 40;

  @TempDir Path tmp;
  private Path dir;
  private Path segment;
  private byte[] earlier;

  @BeforeEach
  void write() throws Exception {
    dir = tmp.resolve("ledger");
    try (Ledger l = Ledger.open(dir, SIGNER)) {
      for (var e : events(1, N / 2)) {
        l.append(e);
      }
      earlier = l.checkpoint(); // exported off the machine, say
      for (var e : events(2, N / 2)) {
        l.append(e);
      }
    }
    segment = LedgerTestKit.onlySegment(dir);
    assertThat(LedgerVerifier.verify(dir, KEY, earlier).size()).isEqualTo(N);
  }

  private int lineOf(List<byte[]> lines, int entry) {
    for (int i = 0; i < lines.size(); i++) {
      if (LedgerTestKit.text(lines.get(i)).endsWith(",\"i\":" + entry + "}")) {
        return i;
      }
    }
    throw new AssertionError("no entry " + entry);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 17, 20, 39})
  void aFlippedByteInAnEntryIsNamed(int entry) throws Exception {
    List<byte[]> lines = LedgerTestKit.lines(segment);
    byte[] line = lines.get(lineOf(lines, entry));
    int at = LedgerTestKit.text(line).indexOf("\"actor\":\"actor-") + 15;
    line[at] ^= 0x02; // actor-N -> another digit or letter: still valid canonical JSON
    LedgerTestKit.writeLines(segment, lines);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger entry " + entry);
  }

  @Test
  void everySingleFlippedBitIsDetected() throws Exception {
    byte[] original = Files.readAllBytes(segment);
    Random r = new Random(3);
    for (int k = 0; k < 60; k++) {
      byte[] b = original.clone();
      int at = r.nextInt(b.length);
      b[at] ^= (byte) (1 << r.nextInt(8));
      Files.write(segment, b);
      assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
          .as("bit flipped at byte %d", at)
          .isInstanceOf(VerificationException.class);
    }
  }

  @Test
  void aDeletedEntryIsNamed() throws Exception {
    List<byte[]> lines = new ArrayList<>(LedgerTestKit.lines(segment));
    lines.remove(lineOf(lines, 25));
    LedgerTestKit.writeLines(segment, lines);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger entry 25")
        .hasMessageContaining("removed");
  }

  @Test
  void aSwappedPairOfEntriesIsNamed() throws Exception {
    List<byte[]> lines = new ArrayList<>(LedgerTestKit.lines(segment));
    int a = lineOf(lines, 30);
    int b = lineOf(lines, 31);
    byte[] t = lines.get(a);
    lines.set(a, lines.get(b));
    lines.set(b, t);
    LedgerTestKit.writeLines(segment, lines);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger entry 30");
  }

  @Test
  void swappedEntriesReindexedToLookRightStillBreakTheSignedRoot() throws Exception {
    List<byte[]> lines = new ArrayList<>(LedgerTestKit.lines(segment));
    int a = lineOf(lines, 30);
    int b = lineOf(lines, 31);
    byte[] ea = Segments.parseEntryEvent(lines.get(a));
    byte[] eb = Segments.parseEntryEvent(lines.get(b));
    lines.set(a, Segments.entryLine(30, eb));
    lines.set(b, Segments.entryLine(31, ea));
    LedgerTestKit.writeLines(segment, lines);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger entry 30");
  }

  @Test
  void aTruncatedLogPassesVerifyButNotVerifySince() throws Exception {
    List<byte[]> entries = LedgerTestKit.entryLines(segment);
    String origin = LedgerTestKit.origin(earlier);
    LedgerTestKit.forge(dir, entries.subList(0, 12), SIGNER, origin);
    assertThat(LedgerVerifier.verify(dir, KEY).size()).isEqualTo(12);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY, earlier))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("truncated");
  }

  /** Cuts the segment just after the checkpoint line of {@code n} entries. */
  private void cutAfterCheckpointOf(int n) throws Exception {
    List<byte[]> lines = LedgerTestKit.lines(segment);
    assertThat(LedgerTestKit.text(lines.get(2 * n))).startsWith("{\"checkpoint\":");
    LedgerTestKit.writeLines(segment, lines.subList(0, 2 * n + 1));
  }

  @Test
  void anUnknownKindIsNamedNotAJavaClass() throws Exception {
    List<byte[]> lines = LedgerTestKit.lines(segment);
    int at = lineOf(lines, 7);
    String line = LedgerTestKit.text(lines.get(at));
    String kind = line.replaceAll(".*\"kind\":\"([a-z_]+)\".*", "$1");
    for (String changed : new String[] {"a" + kind, kind.toUpperCase(java.util.Locale.ROOT)}) {
      lines.set(at, line.replace("\"kind\":\"" + kind + "\"", "\"kind\":\"" + changed + "\"")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      LedgerTestKit.writeLines(segment, lines);
      assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining("ledger entry 7")
          .hasMessageContaining("'" + changed + "' is not an event kind")
          .hasMessageNotContaining("dev.bastion");
    }
  }

  @Test
  void aCleanTruncationIsCaughtByTheLocalCheckpointAndNoWriterErasesIt() throws Exception {
    Path local = dir.resolve(Ledger.CHECKPOINT);
    byte[] evidence = Files.readAllBytes(local);
    cutAfterCheckpointOf(12);
    byte[] cut = Files.readAllBytes(segment);
    String truncated = "ledger entry 12: missing; " + local + ", signed, covers " + N
        + " entries: the log was truncated";
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessage(truncated);
    assertThatThrownBy(() -> Ledger.open(dir, SIGNER))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith(truncated);
    assertThatThrownBy(() -> Ledger.repair(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessage(truncated);
    assertThat(Files.readAllBytes(local)).isEqualTo(evidence);
    assertThat(Files.readAllBytes(segment)).isEqualTo(cut);
    // No proof is handed out from a log known to be cut, as no checkpoint is (audit checkpoint).
    assertThatThrownBy(() -> LedgerVerifier.prove(dir, KEY, 3))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith("ledger entry 12: missing; " + local);
    assertThatThrownBy(() -> LedgerVerifier.consistency(dir, KEY, 3, null))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith("ledger entry 12: missing; " + local);
  }

  @Test
  void aLogRewrittenBehindTheLocalCheckpointIsCaught() throws Exception {
    byte[] evidence = Files.readAllBytes(dir.resolve(Ledger.CHECKPOINT));
    List<byte[]> entries = new ArrayList<>(LedgerTestKit.entryLines(segment));
    entries.remove(5);
    entries.add(entries.get(0));
    entries.add(entries.get(1));
    LedgerTestKit.forge(dir, entries, SIGNER, LedgerTestKit.origin(earlier));
    Files.write(dir.resolve(Ledger.CHECKPOINT), evidence);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessage("ledger: its first " + N + " entries no longer have the root of "
            + dir.resolve(Ledger.CHECKPOINT) + ", signed: history was rewritten");
    assertThatThrownBy(() -> Ledger.open(dir, SIGNER))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("history was rewritten");
    assertThat(Files.readAllBytes(dir.resolve(Ledger.CHECKPOINT))).isEqualTo(evidence);
  }

  @Test
  void aLogReplacedOrRemovedBehindTheLocalCheckpointIsNotStartedAfresh() throws Exception {
    Path local = dir.resolve(Ledger.CHECKPOINT);
    byte[] evidence = Files.readAllBytes(local);
    LedgerTestKit.forge(dir, LedgerTestKit.entryLines(segment), SIGNER,
        "bastion/ledger/ffffffffffffffff");
    Files.write(local, evidence);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("the log was replaced");
    assertThatThrownBy(() -> Ledger.open(dir, SIGNER))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("the log was replaced");
    // Every segment and the tree gone: a writer would otherwise start a new, empty log.
    Files.delete(Segments.file(dir, 0));
    LedgerTestKit.deleteTree(dir.resolve(Ledger.TREE));
    assertThatThrownBy(() -> Ledger.open(dir, SIGNER))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith("ledger entry 0: missing; " + local + ", signed, covers " + N
            + " entries: the log was truncated");
    assertThat(Files.readAllBytes(local)).isEqualTo(evidence);
  }

  @ParameterizedTest
  @ValueSource(strings = {"missing", "garbage", "another key's"})
  void aLocalCheckpointThatDoesNotVerifyIsNoEvidence(String how) throws Exception {
    Path local = dir.resolve(Ledger.CHECKPOINT);
    switch (how) {
      case "missing" -> Files.delete(local);
      case "garbage" -> Files.writeString(local, "not a checkpoint\n");
      default -> Files.write(local, NoteSigner.generate(SIGNER.name()).sign(
          dev.bastion.ledger.tlog.Checkpoint.parse(KEY.verify(Files.readAllBytes(local)))
              .body()));
    }
    cutAfterCheckpointOf(12);
    assertThat(LedgerVerifier.verify(dir, KEY).size()).isEqualTo(12);
    try (Ledger l = Ledger.open(dir, SIGNER)) {
      assertThat(l.size()).isEqualTo(12);
    }
  }

  @Test
  void aLogRewrittenWithTheSameKeyFailsVerifySince() throws Exception {
    List<byte[]> entries = new ArrayList<>(LedgerTestKit.entryLines(segment));
    entries.remove(5); // history without one inconvenient entry, then more to hide the size
    entries.add(entries.get(0));
    entries.add(entries.get(1));
    LedgerTestKit.forge(dir, entries, SIGNER, LedgerTestKit.origin(earlier));
    assertThat(LedgerVerifier.verify(dir, KEY).size()).isEqualTo(N + 1);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY, earlier))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("history was rewritten");
  }

  @Test
  void aLogRewrittenUnderANewKeyFailsVerifySinceWhicheverKeyIsTrusted() throws Exception {
    NoteSigner attacker = NoteSigner.generate(SIGNER.name());
    NoteVerifier attackerKey = LedgerTestKit.verifier(attacker);
    LedgerTestKit.forge(dir, LedgerTestKit.entryLines(segment), attacker,
        "bastion/ledger/0000000000000000");
    // With the attacker's key planted as the trusted one, the log itself verifies...
    assertThat(LedgerVerifier.verify(dir, attackerKey).size()).isEqualTo(N);
    // ... but not against a checkpoint exported before the attack.
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, attackerKey, earlier))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("the earlier checkpoint");
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY, earlier))
        .isInstanceOf(VerificationException.class);
  }

  @Test
  void aLogRewrittenUnderANewKeyKeepingTheOriginFailsToo() throws Exception {
    NoteSigner attacker = NoteSigner.generate(SIGNER.name());
    LedgerTestKit.forge(dir, LedgerTestKit.entryLines(segment), attacker,
        LedgerTestKit.origin(earlier));
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, LedgerTestKit.verifier(attacker),
            earlier))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("not signed by this ledger's key");
  }

  @Test
  void aReplacedLogWithAnotherOriginIsNamed() throws Exception {
    LedgerTestKit.forge(dir, LedgerTestKit.entryLines(segment), SIGNER,
        "bastion/ledger/ffffffffffffffff");
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY, earlier))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("the log was replaced");
  }

  @Test
  void anEntryAppendedWithoutTheKeyIsUncoveredAndCutOffAtOpen() throws Exception {
    byte[] forged = Segments.entryLine(N, Segments.parseEntryEvent(
        LedgerTestKit.entryLines(segment).get(0)));
    Files.write(segment, (LedgerTestKit.text(forged) + "\n").getBytes(UTF_8),
        StandardOpenOption.APPEND);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger entry " + N)
        .hasMessageContaining("not covered by a signed checkpoint");
    try (Ledger l = Ledger.open(dir, SIGNER)) {
      assertThat(l.size()).isEqualTo(N);
    }
    assertThat(LedgerVerifier.verify(dir, KEY).size()).isEqualTo(N);
  }

  @Test
  void aTornTailIsReportedThenCutOffAtOpen() throws Exception {
    long before = Files.size(segment);
    Files.write(segment, "{\"event\":{\"act".getBytes(UTF_8), StandardOpenOption.APPEND);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("cut short");
    try (Ledger l = Ledger.open(dir, SIGNER)) {
      assertThat(Files.size(segment)).isEqualTo(before);
      assertThat(l.append(LedgerTestKit.event(9, 0))).isEqualTo(N);
    }
    assertThat(LedgerVerifier.verify(dir, KEY, earlier).size()).isEqualTo(N + 1);
  }

  @Test
  void aForgedCheckpointSignatureIsRefused() throws Exception {
    String s = Files.readString(segment);
    int sig = s.lastIndexOf("\\u2014 ");
    if (sig < 0) {
      sig = s.lastIndexOf("\u2014 ");
    }
    assertThat(sig).isPositive();
    int at = s.indexOf(' ', sig + 2) + 6; // inside the base64 signature
    char c = s.charAt(at);
    String changed = s.substring(0, at) + (c == 'A' ? 'B' : 'A') + s.substring(at + 1);
    Files.writeString(segment, changed);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger checkpoint at");
    assertThatThrownBy(() -> Ledger.open(dir, SIGNER)).isInstanceOf(VerificationException.class);
  }

  @Test
  void aDeletedSegmentDirectoryIsNotAnEmptyLedger() throws Exception {
    LedgerTestKit.deleteTree(dir.resolve(Segments.DIR));
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("no ledger segments");
    assertThatThrownBy(() -> Ledger.open(dir, SIGNER))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("without segments");
  }

  // ---- the derived files: not the record, but what proofs are read from ----

  private void flipByte(Path file, long at) throws Exception {
    byte[] b = Files.readAllBytes(file);
    b[(int) at] ^= 0x01;
    Files.write(file, b);
  }

  /** Proves every entry, checking each proof offline. */
  private void proveAll() throws Exception {
    for (int i = 0; i < N; i++) {
      byte[] proof = dev.bastion.core.Json.canonical(LedgerVerifier.prove(dir, KEY, i));
      assertThat(LedgerVerifier.verifyProof(proof, "proof", KEY)).isNotNull();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 7, 39})
  void aDamagedLeafOfTheStoredTreeIsReportedAndRepaired(int entry) throws Exception {
    Path level0 = dir.resolve(Ledger.TREE).resolve("level-00.bin");
    flipByte(level0, 32L * entry + 5);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessage("the " + N + " entries and their checkpoints hold, but " + level0
            + " is damaged: the stored hash of entry " + entry + " is not that entry's, so"
            + " proofs of it fail; 'bastion audit repair' rebuilds it from the entries");
    // (The last leaf's damage already shows at the root: opening the tree recomputes a tail
    // that disagrees with the leaves below it.)
    assertThatThrownBy(() -> LedgerVerifier.prove(dir, KEY, entry))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(entry == N - 1 ? dir.resolve(Ledger.TREE)
            + ": does not match the latest checkpoint"
            : "ledger entry " + entry + " does not match its hash in " + level0)
        .hasMessageContaining("'bastion audit repair'");
    assertThat(Ledger.repair(dir, KEY)).isEqualTo(N);
    assertThat(LedgerVerifier.verify(dir, KEY, earlier).size()).isEqualTo(N);
    proveAll();
  }

  @Test
  void aChangedEntryIsNamedEvenWhenTheStoredTreeIsDamagedAtAnEarlierEntry() throws Exception {
    flipByte(dir.resolve(Ledger.TREE).resolve("level-00.bin"), 32L * 3 + 4);
    List<byte[]> lines = LedgerTestKit.lines(segment);
    byte[] line = lines.get(lineOf(lines, 30));
    int at = LedgerTestKit.text(line).indexOf("\"actor\":\"actor-") + 15;
    line[at] ^= 0x02;
    LedgerTestKit.writeLines(segment, lines);
    // Entry 3 matched the signed roots of 4 to 30 entries: it is the tree that is damaged there.
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith("ledger entry 30: its content was changed");
    assertThatThrownBy(() -> Ledger.repair(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith("ledger entry 30: ");
  }

  @Test
  void aSegmentThatIsNotARegularFileIsNamed() throws Exception {
    Files.delete(segment);
    Files.createDirectory(segment);
    for (var call : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
        () -> LedgerVerifier.verify(dir, KEY), () -> LedgerVerifier.events(dir),
        () -> Ledger.open(dir, SIGNER), () -> Ledger.repair(dir, KEY))) {
      assertThatThrownBy(call)
          .isInstanceOf(VerificationException.class)
          .hasMessage(segment + ": not a regular file (a link, a directory); a segment holds the"
              + " entries themselves, so the ledger was damaged or tampered with");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"offsets.bin", "tree", "tree/level-00.bin", "tree/level-02.bin"})
  void aDerivedFileOfTheWrongTypeIsNamedAndRepaired(String name) throws Exception {
    Path p = dir.resolve(name);
    LedgerTestKit.deleteTree(p);
    if (name.equals("tree")) {
      Files.writeString(p, "not a tree\n");
    } else {
      Files.createDirectories(p.resolve("inside"));
    }
    String kind = name.equals("tree") ? " is not a directory, so the stored tree is damaged"
        : " is not a regular file, so it is damaged";
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessage("the " + N + " entries and their checkpoints hold, but " + p + kind
            + "; 'bastion audit repair' rebuilds it");
    assertThatThrownBy(() -> LedgerVerifier.prove(dir, KEY, 1))
        .isInstanceOf(VerificationException.class)
        .hasMessage(p + kind + "; 'bastion audit repair' rebuilds it");
    assertThatThrownBy(() -> Ledger.open(dir, SIGNER))
        .isInstanceOf(VerificationException.class)
        .hasMessage(p + kind + "; 'bastion audit repair' rebuilds it");
    Files.writeString(dir.resolve(Ledger.TREE + ".rebuild"), "left by someone\n");
    assertThat(Ledger.repair(dir, KEY)).isEqualTo(N);
    assertThat(dir.resolve(Ledger.TREE + ".rebuild")).doesNotExist();
    assertThat(LedgerVerifier.verify(dir, KEY, earlier).size()).isEqualTo(N);
    proveAll();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "tree/level-00.bin:100:a 32-byte hash", "offsets.bin:101:an 8-byte offset"})
  void aDerivedFileCutInsideAValueIsDamageNotALaggingWriter(String c) throws Exception {
    String[] parts = c.split(":");
    Path p = dir.resolve(parts[0]);
    try (var ch = java.nio.channels.FileChannel.open(p, StandardOpenOption.WRITE)) {
      ch.truncate(Long.parseLong(parts[1]));
    }
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessage("the " + N + " entries and their checkpoints hold, but " + p + " is damaged:"
            + " its " + parts[1] + " bytes end inside " + parts[2] + "; 'bastion audit repair'"
            + " rebuilds it");
    assertThat(Files.size(p)).as("verify leaves the file as it found it")
        .isEqualTo(Long.parseLong(parts[1]));
    assertThatThrownBy(() -> LedgerVerifier.prove(dir, KEY, 20))
        .isInstanceOf(LedgerVerifier.DerivedFilesShort.class);
    // Opening the ledger rebuilds what is short, as after a crash.
    try (Ledger l = Ledger.open(dir, SIGNER)) {
      assertThat(l.size()).isEqualTo(N);
    }
    assertThat(LedgerVerifier.verify(dir, KEY).size()).isEqualTo(N);
    proveAll();
  }

  @Test
  void missingDerivedFilesAreNotDamageAndOpeningTheLedgerRebuildsThem() throws Exception {
    LedgerTestKit.deleteTree(dir.resolve(Ledger.TREE));
    Files.delete(dir.resolve(Ledger.OFFSETS));
    assertThat(LedgerVerifier.verify(dir, KEY).size()).isEqualTo(N);
    assertThatThrownBy(() -> LedgerVerifier.prove(dir, KEY, 20))
        .isInstanceOf(LedgerVerifier.DerivedFilesShort.class)
        .hasMessageContaining("holds 0 of the " + N + " entries");
    try (Ledger l = Ledger.open(dir, SIGNER)) {
      assertThat(l.size()).isEqualTo(N);
    }
    proveAll();
  }

  @ParameterizedTest
  @ValueSource(strings = {"removed", "repeated"})
  void aCheckpointLineRemovedOrRepeatedIsNotBlamedOnTheOffsetsAlone(String how)
      throws Exception {
    List<byte[]> lines = new ArrayList<>(LedgerTestKit.lines(segment));
    int cp = lineOf(lines, 4) + 1; // the checkpoint of 5 entries
    assertThat(LedgerTestKit.text(lines.get(cp))).startsWith("{\"checkpoint\":");
    long at = 0;
    for (int i = 0; i < lineOf(lines, 5); i++) {
      at += lines.get(i).length + 1;
    }
    long stored = at;
    if (how.equals("removed")) {
      at -= lines.remove(cp).length + 1;
    } else {
      lines.add(cp, lines.get(cp));
      at += lines.get(cp).length + 1;
    }
    LedgerTestKit.writeLines(segment, lines);
    Path off = dir.resolve(Ledger.OFFSETS);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessage("the " + N + " entries and their checkpoints hold, but the offset of entry 5"
            + " is not where that entry starts (" + off + " says byte " + stored + ", it starts"
            + " at byte " + at + " of " + segment + "): either " + off + " is damaged or the"
            + " segment was edited before that entry (a line added or removed); 'bastion audit"
            + " repair' rebuilds the offsets from the segment as it now is");
  }

  @Test
  void aDamagedInnerNodeIsReportedAndNoProofThroughItIsHandedOut() throws Exception {
    Path level1 = dir.resolve(Ledger.TREE).resolve("level-01.bin");
    flipByte(level1, 32L * 3 + 9); // the hash of leaves 6 and 7
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(level1 + " is damaged: its hash 3 is not the hash of the two below"
            + " it");
    // Entry 4's proof holds the hash of leaves 6 and 7.
    assertThatThrownBy(() -> LedgerVerifier.prove(dir, KEY, 4))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("does not lead to the signed root");
    assertThat(Ledger.repair(dir, KEY)).isEqualTo(N);
    assertThat(LedgerVerifier.verify(dir, KEY).size()).isEqualTo(N);
    proveAll();
  }

  @Test
  void missingOrDamagedOffsetsAreReportedAndRepaired() throws Exception {
    Path offsets = dir.resolve(Ledger.OFFSETS);
    Files.delete(offsets);
    // Missing, it is not damage (a ledger rebuilds it when it opens), but nothing is proven.
    assertThat(LedgerVerifier.verify(dir, KEY).size()).isEqualTo(N);
    assertThatThrownBy(() -> LedgerVerifier.prove(dir, KEY, 3))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith(offsets + ": missing; ");
    assertThat(Ledger.repair(dir, KEY)).isEqualTo(N);
    proveAll();

    Files.writeString(offsets, "garbage\n"); // one offset, far past the segment's end
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("the offset of entry 0 is not where that entry starts");
    assertThatThrownBy(() -> LedgerVerifier.prove(dir, KEY, 0))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("the offset of entry 0 (byte ");
    assertThatThrownBy(() -> LedgerVerifier.prove(dir, KEY, 5))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(": no offset of entry 5");
    assertThat(Ledger.repair(dir, KEY)).isEqualTo(N);

    // An offset that points at another entry's line.
    byte[] b = Files.readAllBytes(offsets);
    System.arraycopy(b, 8 * 2, b, 8, 8);
    Files.write(offsets, b);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .hasMessageContaining("the offset of entry 1 is not where that entry starts");
    assertThatThrownBy(() -> LedgerVerifier.prove(dir, KEY, 1))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("is not where that entry starts");
    assertThat(Ledger.repair(dir, KEY)).isEqualTo(N);
    proveAll();
  }

  @Test
  void aRepairRebuildsNothingFromEntriesThatDoNotVerify() throws Exception {
    List<byte[]> lines = LedgerTestKit.lines(segment);
    byte[] line = lines.get(lineOf(lines, 3));
    int at = LedgerTestKit.text(line).indexOf("\"actor\":\"actor-") + 15;
    line[at] ^= 0x02;
    LedgerTestKit.writeLines(segment, lines);
    byte[] tree = Files.readAllBytes(dir.resolve(Ledger.TREE).resolve("level-00.bin"));
    byte[] offsets = Files.readAllBytes(dir.resolve(Ledger.OFFSETS));
    assertThatThrownBy(() -> Ledger.repair(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger entry 3");
    assertThat(Files.readAllBytes(dir.resolve(Ledger.TREE).resolve("level-00.bin")))
        .isEqualTo(tree);
    assertThat(Files.readAllBytes(dir.resolve(Ledger.OFFSETS))).isEqualTo(offsets);
  }

  @Test
  void aRepairBesideAnOpenLedgerLeavesBothRight() throws Exception {
    try (Ledger l = Ledger.open(dir, SIGNER)) {
      flipByte(dir.resolve(Ledger.TREE).resolve("level-00.bin"), 32L * 2);
      l.append(events(3, 1).get(0));
      assertThat(Ledger.repair(dir, KEY)).isEqualTo(N + 1);
      for (var e : events(4, 5)) {
        l.append(e);
      }
    }
    assertThat(LedgerVerifier.verify(dir, KEY, earlier).size()).isEqualTo(N + 6);
    for (int i = 0; i < N + 6; i++) {
      byte[] proof = dev.bastion.core.Json.canonical(LedgerVerifier.prove(dir, KEY, i));
      assertThat(LedgerVerifier.verifyProof(proof, "proof", KEY)).isNotNull();
    }
  }

  private static byte[] canon(com.fasterxml.jackson.databind.JsonNode n) {
    return dev.bastion.core.Json.canonical(n);
  }

  @Test
  void aMalformedProofIsNamedFieldByField() throws Exception {
    var proof = LedgerVerifier.prove(dir, KEY, 5);
    var p = proof.deepCopy();
    p.put("leaf_hash", "z");
    assertThatThrownBy(() -> LedgerVerifier.verifyProof(canon(p), "p.json", KEY))
        .isInstanceOf(BadInputException.class)
        .hasMessage("p.json: 'leaf_hash' is not base64");
    var q = proof.deepCopy();
    ((com.fasterxml.jackson.databind.node.ArrayNode) q.get("proof")).set(1,
        com.fasterxml.jackson.databind.node.TextNode.valueOf("AAAA"));
    assertThatThrownBy(() -> LedgerVerifier.verifyProof(canon(q), "p.json", KEY))
        .isInstanceOf(BadInputException.class)
        .hasMessage("p.json: 'proof' hash 1 is 3 bytes, not a SHA-256 hash (32)");
    var r = proof.deepCopy();
    r.put("index", 6);
    assertThatThrownBy(() -> LedgerVerifier.verifyProof(canon(r), "p.json", KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith("p.json: 'entry' is not the ledger's entry 6");
    var u = proof.deepCopy();
    u.put("note", "trust me");
    assertThatThrownBy(() -> LedgerVerifier.verifyProof(canon(u), "p.json", KEY))
        .isInstanceOf(BadInputException.class)
        .hasMessage("p.json: unknown field 'note' (a proof has index, tree_size, entry,"
            + " leaf_hash, proof, checkpoint)");
    assertThatThrownBy(() -> LedgerVerifier.verifyProof("[1]".getBytes(
        java.nio.charset.StandardCharsets.UTF_8), "p.json", KEY))
        .isInstanceOf(BadInputException.class)
        .hasMessage("p.json: a proof is a JSON object");
  }

  @Test
  void aSegmentThatIsALinkIsNamed() throws Exception {
    Path elsewhere = tmp.resolve("elsewhere.jsonl");
    Files.move(segment, elsewhere);
    Files.createSymbolicLink(segment, elsewhere);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith(segment + ": not a regular file (a link, a directory)");
    assertThatThrownBy(() -> Ledger.open(dir, SIGNER))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith(segment + ": not a regular file");
  }

  @Test
  void aLastSegmentWhoseCheckpointWasDamagedIsKeptWhenAWriterRefuses() throws Exception {
    Path many = tmp.resolve("many");
    try (Ledger l = Ledger.open(many, SIGNER, java.util.Optional.empty(), 300)) {
      for (var e : events(3, 3)) {
        l.append(e); // one segment a batch
      }
    }
    List<Segments.Segment> segs = Segments.list(many);
    assertThat(segs).hasSizeGreaterThan(1);
    Path last = segs.get(segs.size() - 1).path();
    byte[] damaged = new String(Files.readAllBytes(last), UTF_8)
        .replace("{\"checkpoint\"", "{\"checkpoinu\"").getBytes(UTF_8);
    Files.write(last, damaged);
    assertThatThrownBy(() -> Ledger.open(many, SIGNER, java.util.Optional.empty(), 300))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("the log was truncated");
    // Refused before anything was cut: the entry and what is left of its checkpoint are there.
    assertThat(Files.readAllBytes(last)).isEqualTo(damaged);
    assertThatThrownBy(() -> LedgerVerifier.verify(many, KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("its line is neither an entry (no index field) nor a checkpoint");
  }

  @Test
  void aLogCutBehindItsNewestExportIsRefusedAndTheExportIsKept() throws Exception {
    Path exports = tmp.resolve("exports");
    Path logged = tmp.resolve("exported");
    try (Ledger l = Ledger.open(logged, SIGNER, java.util.Optional.of(exports))) {
      for (var e : events(4, 10)) {
        l.append(e);
      }
    }
    Path newest = Ledger.newestExport(exports, KEY).file();
    assertThat(newest.getFileName().toString()).isEqualTo("checkpoint-00000000000000000010");
    byte[] evidence = Files.readAllBytes(newest);
    // The attacker cuts the last entries and removes the local copy that would show it.
    Path seg = LedgerTestKit.onlySegment(logged);
    List<byte[]> lines = LedgerTestKit.lines(seg);
    LedgerTestKit.writeLines(seg, lines.subList(0, 2 * 6 + 1));
    Files.delete(logged.resolve(Ledger.CHECKPOINT));
    assertThat(LedgerVerifier.verify(logged, KEY).size()).isEqualTo(6);
    byte[] cut = Files.readAllBytes(seg);
    assertThatThrownBy(() -> Ledger.open(logged, SIGNER, java.util.Optional.of(exports)))
        .isInstanceOf(VerificationException.class)
        .hasMessage("ledger entry 6: missing; " + newest + ", signed, covers 10 entries: the"
            + " log was truncated; run 'bastion audit verify'");
    assertThat(Files.readAllBytes(seg)).isEqualTo(cut);
    assertThat(Files.readAllBytes(newest)).isEqualTo(evidence);
    // Files that do not verify, or are named for another size, do not hide it: junk, another
    // ledger's checkpoint, and a genuine one of 0 entries renamed as the largest.
    Files.writeString(exports.resolve("checkpoint-99999999999999999999"), "junk\n");
    NoteSigner other = NoteSigner.generate(SIGNER.name());
    Files.write(exports.resolve("checkpoint-99999999999999999998"), other.sign(
        dev.bastion.ledger.tlog.Checkpoint.parse(KEY.verify(evidence)).body()));
    Files.copy(exports.resolve("checkpoint-00000000000000000000"),
        exports.resolve("checkpoint-99999999999999999997"));
    assertThat(Ledger.newestExport(exports, KEY).file()).isEqualTo(newest);
    assertThatThrownBy(() -> Ledger.open(logged, SIGNER, java.util.Optional.of(exports)))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(newest + ", signed, covers 10 entries: the log was truncated");
    assertThatThrownBy(() -> LedgerVerifier.checkExport(logged, KEY, exports))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(newest + ", signed, covers 10 entries: the log was truncated");
    assertThatThrownBy(() -> LedgerVerifier.verify(logged, KEY, evidence))
        .isInstanceOf(VerificationException.class);
  }

  @Test
  void anExportOfAnotherLogIsNeverWrittenOver() throws Exception {
    Path exports = tmp.resolve("exports");
    try (Ledger l = Ledger.open(tmp.resolve("first"), SIGNER, java.util.Optional.of(exports))) {
      l.append(events(5, 1).get(0));
    }
    Path zero = exports.resolve("checkpoint-00000000000000000000");
    byte[] evidence = Files.readAllBytes(zero);
    assertThatThrownBy(() -> Ledger.open(tmp.resolve("second"), SIGNER,
            java.util.Optional.of(exports)))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining(zero + " already holds another checkpoint of 0 entries");
    assertThat(Files.readAllBytes(zero)).isEqualTo(evidence);
  }
}
