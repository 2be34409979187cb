package dev.bastion.ledger;

import static dev.bastion.ledger.LedgerFixtures.copyLedger;
import static dev.bastion.ledger.LedgerFixtures.entries;
import static dev.bastion.ledger.LedgerFixtures.events;
import static dev.bastion.ledger.LedgerFixtures.head;
import static dev.bastion.ledger.LedgerFixtures.lines;
import static dev.bastion.ledger.LedgerFixtures.utf8;
import static dev.bastion.ledger.LedgerFixtures.writeLines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Keyring;
import dev.bastion.crypto.Signer;
import dev.bastion.crypto.Trust;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every change to a signed ledger is found by {@link LedgerVerifier}, and the error names the first
 * entry that is wrong. One pristine ledger of {@value #N} entries is built once; each case edits a
 * copy.
 */
class LedgerTamperTest {
  static final int N = 8;
  private static final long SEED = 0x1ED6E2L;

  @TempDir static Path shared;
  private static Keyring keyring;
  private static Trust trust;
  private static Signer signer;
  private static Path pristine;
  private static Path olderHead;

  @TempDir Path dir;

  @BeforeAll
  static void buildPristineLedger() throws Exception {
    keyring = Keyring.initialise(shared.resolve("keys"));
    trust = keyring.trust();
    signer = keyring.signer("ledger");
    pristine = shared.resolve("ledger");
    olderHead = shared.resolve("head-at-5.json");
    try (Ledger ledger = Ledger.open(pristine, signer)) {
      List<Event> events = events(SEED, N);
      for (int i = 0; i < N; i++) {
        ledger.append(events.get(i));
        if (i == 4) {
          Files.copy(head(pristine), olderHead);
        }
      }
    }
    assertThat(LedgerVerifier.verify(pristine, trust).size()).isEqualTo(N);
  }

  private static String entryPattern(long k) {
    return "ledger entry " + k + "\\b";
  }

  private void assertRejectedNaming(long k) {
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, trust))
        .isInstanceOf(VerificationException.class)
        .hasMessageFindingMatch(entryPattern(k));
  }

  // ---- one byte flipped inside entry k ----

  static Stream<Arguments> byteFlips() throws IOException {
    List<byte[]> lines = lines(pristine);
    Random r = new Random(SEED);
    List<Arguments> cases = new ArrayList<>();
    for (int k : new int[] {0, 1, 3, 6, N - 1}) {
      int length = lines.get(k).length;
      // Always the first and last byte of the line, then seeded positions inside it.
      IntStream.concat(IntStream.of(0, length - 1), IntStream.generate(() -> r.nextInt(length)))
          .distinct()
          .limit(8)
          .forEach(pos -> cases.add(Arguments.of(k, pos, r.nextInt(1, 256))));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "entry {0}, byte {1} ^ {2}")
  @MethodSource("byteFlips")
  void aFlippedByteIsFoundInItsEntry(int k, int pos, int mask) throws Exception {
    copyLedger(pristine, dir);
    List<byte[]> lines = lines(dir);
    lines.get(k)[pos] ^= (byte) mask;
    writeLines(dir, lines);

    assertRejectedNaming(k);
  }

  // ---- lines removed, moved, cut or added ----

  private interface Edit {
    void apply(Path dir) throws Exception;
  }

  private static Edit onLines(java.util.function.Consumer<List<byte[]>> change) {
    return dir -> {
      List<byte[]> lines = lines(dir);
      change.accept(lines);
      writeLines(dir, lines);
    };
  }

  static Stream<Arguments> lineEdits() {
    return Stream.of(
        Arguments.of("first line deleted", onLines(l -> l.remove(0)), 0),
        Arguments.of("middle line deleted", onLines(l -> l.remove(3)), 3),
        Arguments.of("last line deleted", onLines(l -> l.remove(N - 1)), N - 1),
        Arguments.of("lines 0 and 1 swapped", onLines(l -> Collections.swap(l, 0, 1)), 0),
        Arguments.of("lines 2 and 5 swapped", onLines(l -> Collections.swap(l, 2, 5)), 2),
        Arguments.of("last two lines swapped", onLines(l -> Collections.swap(l, N - 2, N - 1)), N - 2),
        Arguments.of("line 4 repeated", onLines(l -> l.add(4, l.get(4).clone())), 5),
        Arguments.of("last line repeated", onLines(l -> l.add(l.get(N - 1).clone())), N),
        Arguments.of("blank line inserted before entry 4", onLines(l -> l.add(4, new byte[0])), 4),
        Arguments.of(
            "last line truncated",
            (Edit)
                dir -> {
                  byte[] all = Files.readAllBytes(entries(dir));
                  Files.write(entries(dir), Arrays.copyOf(all, all.length - 20));
                },
            N - 1),
        Arguments.of(
            "final newline removed",
            (Edit)
                dir -> {
                  byte[] all = Files.readAllBytes(entries(dir));
                  Files.write(entries(dir), Arrays.copyOf(all, all.length - 1));
                },
            N - 1),
        Arguments.of(
            "entries file emptied", (Edit) dir -> Files.write(entries(dir), new byte[0]), 0),
        Arguments.of("entries file deleted", (Edit) dir -> Files.delete(entries(dir)), 0));
  }

  /** Appends an entry with a correct chain hash: all the chain needs, no key required. */
  private static void appendForged(Path dir, long seed) throws Exception {
    List<byte[]> lines = lines(dir);
    byte[] prev =
        HexFormat.of().parseHex(Json.parse(lines.get(lines.size() - 1), "last").path("h").asText());
    Event forged = events(seed, 1).get(0);
    byte[] h = Ledger.chainHash(prev, MerkleHasher.leafHash(Json.canonical(forged.toJson())));
    ObjectNode line = Json.object();
    line.put("i", lines.size());
    line.set("event", forged.toJson());
    line.put("h", HexFormat.of().formatHex(h));
    lines.add(Json.canonical(line));
    writeLines(dir, lines);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lineEdits")
  void lineEditsAreFoundAtTheFirstWrongEntry(String what, Edit edit, int k) throws Exception {
    copyLedger(pristine, dir);
    edit.apply(dir);

    assertRejectedNaming(k);
  }

  @Test
  void rewritingHistoryWithAFreshChainIsCaughtByTheSignedHead() throws Exception {
    // Change entry 2 and recompute every chain hash after it: the chain is consistent again,
    // but the head signed by the ledger key still holds the old chain hash and root.
    copyLedger(pristine, dir);
    rewriteFrom(dir, 2);

    assertThatThrownBy(() -> LedgerVerifier.verify(dir, trust))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger head");
  }

  // ---- head.json edited ----

  private static Edit onHead(java.util.function.Consumer<ObjectNode> change) {
    return dir -> {
      ObjectNode h = (ObjectNode) Ledger.head(dir);
      change.accept(h);
      Files.write(head(dir), Json.canonical(h));
    };
  }

  static Stream<Arguments> headEdits() throws Exception {
    Signer gate = keyring.signer("gate");
    return Stream.of(
        Arguments.of("size one less", onHead(h -> h.put("size", N - 1))),
        Arguments.of("size one more", onHead(h -> h.put("size", N + 1))),
        Arguments.of("size negative", onHead(h -> h.put("size", -1))),
        Arguments.of(
            "root of another tree",
            onHead(h -> h.put("root", Base64.getEncoder().encodeToString(MerkleHasher.emptyRoot())))),
        Arguments.of("chain changed", onHead(h -> h.put("chain", "00".repeat(32)))),
        Arguments.of("time changed", onHead(h -> h.put("time", Instant.EPOCH.toString()))),
        Arguments.of(
            "signature flipped",
            onHead(
                h -> {
                  byte[] sig = Base64.getDecoder().decode(h.path("signature").asText());
                  sig[sig.length / 2] ^= 1;
                  h.put("signature", Base64.getEncoder().encodeToString(sig));
                })),
        Arguments.of("signature removed", onHead(h -> h.remove("signature"))),
        Arguments.of("keyid of the gate", onHead(h -> h.put("keyid", gate.identity().keyId()))),
        Arguments.of("keyid removed", onHead(h -> h.remove("keyid"))),
        Arguments.of("origin changed", onHead(h -> h.put("origin", "bastion-ledger/v2"))),
        Arguments.of("time removed", onHead(h -> h.remove("time"))),
        Arguments.of(
            "re-signed by the gate",
            (Edit)
                dir -> {
                  ObjectNode h = (ObjectNode) Ledger.head(dir);
                  ObjectNode body = h.deepCopy();
                  body.remove(List.of("keyid", "signature"));
                  h.put("keyid", gate.identity().keyId());
                  h.put(
                      "signature",
                      Base64.getEncoder().encodeToString(gate.sign(Json.canonical(body))));
                  Files.write(head(dir), Json.canonical(h));
                }),
        Arguments.of("deleted", (Edit) dir -> Files.delete(head(dir))),
        Arguments.of("not JSON", (Edit) dir -> Files.writeString(head(dir), "signed, honest")),
        Arguments.of("empty object", (Edit) dir -> Files.writeString(head(dir), "{}")),
        Arguments.of("empty file", (Edit) dir -> Files.write(head(dir), new byte[0])));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("headEdits")
  void headEditsAreFound(String what, Edit edit) throws Exception {
    copyLedger(pristine, dir);
    edit.apply(dir);

    assertThatThrownBy(() -> LedgerVerifier.verify(dir, trust))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("head");
  }

  // ---- entries no signed head covers ----

  /**
   * Entries beyond the signed head carry no signature: the chain hash needs no key. The verifier
   * never counts them as signed: it fails, naming the first one.
   */
  private void assertSignedPrefixOnly(long signedSize, long unsigned) throws Exception {
    assertThat(unsigned).isPositive();
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, trust))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger entry " + signedSize);
  }

  @Test
  void aForgedWellChainedEntryIsNeverCountedAsSigned() throws Exception {
    copyLedger(pristine, dir);
    appendForged(dir, 99);

    assertSignedPrefixOnly(N, 1);
  }

  @Test
  void aRolledBackHeadIsNeverTakenForTheWholeLog() throws Exception {
    copyLedger(pristine, dir);
    Files.copy(olderHead, head(dir), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertSignedPrefixOnly(5, N - 5);
  }

  /** Rewrites entries from {@code from} on and recomputes their chain hashes: no key needed. */
  private static void rewriteFrom(Path dir, int from) throws Exception {
    List<byte[]> lines = lines(dir);
    List<byte[]> rewritten = new ArrayList<>();
    byte[] prev = new byte[32];
    for (int i = 0; i < lines.size(); i++) {
      ObjectNode line = (ObjectNode) Json.parse(lines.get(i), "line");
      if (i == from) {
        ((ObjectNode) line.path("event")).put("outcome", "pass");
        ((ObjectNode) line.path("event")).put("actor", "intruder");
      }
      prev = Ledger.chainHash(prev, MerkleHasher.leafHash(Json.canonical(line.path("event"))));
      line.put("h", HexFormat.of().formatHex(prev));
      rewritten.add(Json.canonical(line));
    }
    writeLines(dir, rewritten);
  }

  // ---- rewrites behind an old head, forged appends, equivalent bytes, open ----

  /**
   * The chain needs no key, and any older head.json is a valid signature: restore an old head and
   * rewrite every entry after it. The entries beyond the head are not signed, so verify fails.
   */
  @Test
  void rewritingEntriesBehindARolledBackHeadIsDetected() throws Exception {
    copyLedger(pristine, dir);
    rewriteFrom(dir, 6);
    Files.copy(olderHead, head(dir), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(() -> LedgerVerifier.verify(dir, trust))
        .isInstanceOf(VerificationException.class);
  }

  @Test
  void entriesAppendedWithoutTheKeyAreRejected() throws Exception {
    copyLedger(pristine, dir);
    appendForged(dir, 99);
    appendForged(dir, 98);

    assertThatThrownBy(() -> LedgerVerifier.verify(dir, trust))
        .isInstanceOf(VerificationException.class);
  }

  static Stream<Arguments> neutralEdits() {
    return Stream.of(
        Arguments.of(
            "entry 3: a hex letter of h in uppercase (one byte, ^0x20)",
            onLines(l -> l.set(3, upperFirstHexLetter(l.get(3), "\"h\":\"")))),
        Arguments.of(
            "entry 3: CR before the newline",
            onLines(l -> l.set(3, (new String(l.get(3), StandardCharsets.UTF_8) + "\r").getBytes(StandardCharsets.UTF_8)))),
        Arguments.of(
            "entry 3: a space after the first brace",
            onLines(l -> l.set(3, ("{ " + new String(l.get(3), StandardCharsets.UTF_8).substring(1)).getBytes(StandardCharsets.UTF_8)))),
        Arguments.of(
            "head: a hex letter of chain in uppercase",
            (Edit)
                dir -> Files.write(head(dir), upperFirstHexLetter(Files.readAllBytes(head(dir)), "\"chain\":\""))),
        Arguments.of(
            "head: size as a string",
            (Edit)
                dir -> {
                  ObjectNode h = (ObjectNode) Ledger.head(dir);
                  h.put("size", Long.toString(h.path("size").asLong()));
                  Files.write(head(dir), Json.canonical(h));
                }),
        Arguments.of(
            "head: an extra field",
            onHead(h -> h.put("note", "all entries approved"))));
  }

  private static byte[] upperFirstHexLetter(byte[] line, String field) {
    String s = new String(line, StandardCharsets.UTF_8);
    int start = s.indexOf(field) + field.length();
    for (int i = start; i < start + 64; i++) {
      char c = s.charAt(i);
      if (c >= 'a' && c <= 'f') {
        byte[] out = line.clone();
        out[s.substring(0, i).getBytes(StandardCharsets.UTF_8).length] ^= 0x20;
        return out;
      }
    }
    throw new IllegalStateException("no hex letter in " + field);
  }

  /**
   * The files are the evidence: any byte changed must fail verification, even when the JSON still
   * means the same (hex case, whitespace, a number as a string, an extra field): every line and the
   * head must be exactly the canonical text that was hashed and signed.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("neutralEdits")
  void bytesThatChangeNothingSemanticallyAreStillTampering(String what, Edit edit)
      throws Exception {
    copyLedger(pristine, dir);
    edit.apply(dir);

    assertThatThrownBy(() -> LedgerVerifier.verify(dir, trust))
        .isInstanceOf(VerificationException.class);
  }

  /**
   * Delete the last acknowledged entry: open compares the entries with the signed head and refuses
   * to append, so the next head can never cover the deletion.
   */
  @Test
  void openRefusesWhenASignedEntryIsMissing() throws Exception {
    copyLedger(pristine, dir);
    List<byte[]> lines = lines(dir);
    lines.remove(N - 1);
    writeLines(dir, lines);
    assertRejectedNaming(N - 1);

    assertThatThrownBy(
            () -> {
              try (Ledger ledger = Ledger.open(dir, signer)) {
                ledger.append(events(7, 1).get(0));
              }
            })
        .isInstanceOf(VerificationException.class);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, trust))
        .isInstanceOf(VerificationException.class);
  }
}
