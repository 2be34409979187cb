package dev.bastion.ledger;

import static dev.bastion.ledger.LedgerTestKit.KEY;
import static dev.bastion.ledger.LedgerTestKit.SIGNER;
import static dev.bastion.ledger.LedgerTestKit.event;
import static dev.bastion.ledger.LedgerTestKit.events;
import static dev.bastion.ledger.LedgerTestKit.text;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.ledger.tlog.Checkpoint;
import dev.bastion.ledger.tlog.NoteSigner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LedgerTest {
  @TempDir Path tmp;

  private Path dir() {
    return tmp.resolve("ledger");
  }

  private static void appendAll(Ledger l, List<Event> events) {
    for (Event e : events) {
      l.append(e);
    }
  }

  @Test
  void aListingBesideALiveWriterShowsSignedEntriesOnlyAndNeverFails() throws Exception {
    List<Event> all = events(7, 3000);
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      java.util.concurrent.atomic.AtomicReference<Throwable> failed =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread writer = new Thread(() -> {
        try {
          List<java.util.concurrent.CompletableFuture<Long>> acks = new java.util.ArrayList<>();
          for (Event e : all) {
            acks.add(l.appendAsync(e));
            if (acks.size() == 64) {
              acks.forEach(java.util.concurrent.CompletableFuture::join);
              acks.clear();
            }
          }
          acks.forEach(java.util.concurrent.CompletableFuture::join);
        } catch (Throwable t) {
          failed.set(t);
        }
      });
      writer.start();
      int listings = 0;
      while (writer.isAlive() || listings < 2) {
        List<Event> seen = new java.util.ArrayList<>();
        LedgerVerifier.forEachVerifiedEvent(dir(), KEY, seen::add);
        // A prefix of what was appended: whole batches, in order, none half written.
        assertThat(seen.size()).isLessThanOrEqualTo(all.size());
        assertThat(seen).isEqualTo(all.subList(0, seen.size()));
        listings++;
      }
      writer.join();
      assertThat(failed.get()).isNull();
    }
    List<Event> seen = new java.util.ArrayList<>();
    LedgerVerifier.forEachVerifiedEvent(dir(), KEY, seen::add);
    assertThat(seen).isEqualTo(all);
  }

  @Test
  void aNewLedgerIsEmptyAndVerifies() throws Exception {
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      assertThat(l.size()).isZero();
      assertThat(l.origin()).matches("bastion/ledger/[0-9a-f]{16}");
    }
    LedgerVerifier.Result r = LedgerVerifier.verify(dir(), KEY);
    assertThat(r.size()).isZero();
    assertThat(r.checkpoints()).isEqualTo(1);
    assertThat(Base64.getDecoder().decode(r.root())).isEqualTo(MerkleHasher.emptyRoot());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 8, 9, 100})
  void appendsAreNumberedInOrderAndTheRootIsRfc9162(int n) throws Exception {
    List<Event> events = events(n, n);
    MerkleHasher h = new MerkleHasher();
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      for (int i = 0; i < n; i++) {
        assertThat(l.append(events.get(i))).isEqualTo(i);
        h.append(MerkleHasher.leafHash(Segments.entryLine(i, Json.canonical(
            events.get(i).toJson()))));
      }
      assertThat(l.size()).isEqualTo(n);
      assertThat(l.root()).isEqualTo(h.root());
    }
    LedgerVerifier.Result r = LedgerVerifier.verify(dir(), KEY);
    assertThat(r.size()).isEqualTo(n);
    assertThat(r.root()).isEqualTo(Base64.getEncoder().encodeToString(h.root()));
    assertThat(LedgerVerifier.events(dir())).isEqualTo(events);
  }

  @Test
  void theCheckpointIsAC2spSignedNoteOverOriginSizeAndRoot() throws Exception {
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      appendAll(l, events(1, 5));
      String note = text(l.checkpoint());
      String[] lines = note.split("\n", -1);
      assertThat(lines[0]).isEqualTo(l.origin());
      assertThat(lines[1]).isEqualTo("5");
      assertThat(Base64.getDecoder().decode(lines[2])).isEqualTo(l.root());
      assertThat(lines[3]).isEmpty();
      assertThat(lines[4]).startsWith("\u2014 " + SIGNER.name() + " ");
      Checkpoint cp = Checkpoint.parse(KEY.verify(l.checkpoint()));
      assertThat(cp.size()).isEqualTo(5);
      assertThat(cp.rootHash()).isEqualTo(l.root());
    }
  }

  @Test
  void reopeningContinuesTheSameLog() throws Exception {
    String origin;
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      appendAll(l, events(2, 10));
      origin = l.origin();
    }
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      assertThat(l.size()).isEqualTo(10);
      assertThat(l.origin()).isEqualTo(origin);
      assertThat(l.append(event(3, 0))).isEqualTo(10);
    }
    assertThat(LedgerVerifier.verify(dir(), KEY).size()).isEqualTo(11);
  }

  @Test
  void concurrentAppendsGetEveryIndexOnceAndShareCommits() throws Exception {
    int threads = 8;
    int each = 300;
    Set<Long> indices = ConcurrentHashMap.newKeySet();
    long commits;
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int seed = 100 + t;
          fs.add(pool.submit(() -> {
            for (Event e : events(seed, each)) {
              assertThat(indices.add(l.append(e))).isTrue();
            }
          }));
        }
        for (Future<?> f : fs) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      commits = l.commits();
    }
    assertThat(indices).hasSize(threads * each);
    assertThat(indices).allMatch(i -> i >= 0 && i < threads * each);
    assertThat(commits).isBetween(1L, (long) threads * each);
    LedgerVerifier.Result r = LedgerVerifier.verify(dir(), KEY);
    assertThat(r.size()).isEqualTo(threads * each);
    assertThat(r.checkpoints()).isEqualTo(commits + 1);
    // Each thread's events keep their order.
    List<Event> all = LedgerVerifier.events(dir());
    for (int t = 0; t < threads; t++) {
      String run = "run-" + (100 + t);
      assertThat(all.stream().filter(e -> e.runId().equals(run)).toList())
          .isEqualTo(events(100 + t, each));
    }
  }

  @Test
  void offsetsPointAtEveryEntryOfManyBatches() throws Exception {
    // Appended without waiting, so that batches of many sizes are written.
    int n = 20_000;
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      List<CompletableFuture<Long>> acks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        acks.add(l.appendAsync(event(12, i)));
      }
      for (int i = 0; i < n; i++) {
        assertThat(acks.get(i).join()).isEqualTo(i);
      }
    }
    assertThat(Files.size(dir().resolve(Ledger.OFFSETS))).isEqualTo(8L * n);
    for (long i : new long[] {0, 1, 8191, 8192, 8193, 16383, 16384, n - 1}) {
      assertThat(LedgerVerifier.entryLine(dir(), i))
          .isEqualTo(Segments.entryLine(i, Json.canonical(event(12, i).toJson())));
    }
    // A second object appending in turns with the first re-reads the derived files each time.
    try (Ledger a = Ledger.open(dir(), SIGNER); Ledger b = Ledger.open(dir(), SIGNER)) {
      for (int i = 0; i < 10; i++) {
        a.append(event(13, i));
        b.append(event(14, i));
      }
    }
    assertThat(Files.size(dir().resolve(Ledger.OFFSETS))).isEqualTo(8L * (n + 20));
    assertThat(LedgerVerifier.entryLine(dir(), n + 19))
        .isEqualTo(Segments.entryLine(n + 19, Json.canonical(event(14, 9).toJson())));
    assertThat(LedgerVerifier.verify(dir(), KEY).size()).isEqualTo(n + 20);
  }

  @Test
  void anotherLedgerObjectGetsTurnsWhileOneAppendsWithoutPause() throws Exception {
    // The directory lock is taken for each batch: another process appending at the same time is
    // not starved by one that appends without pause.
    AtomicBoolean stop = new AtomicBoolean();
    List<Long> others = new ArrayList<>();
    long busySize;
    try (Ledger busy = Ledger.open(dir(), SIGNER); Ledger other = Ledger.open(dir(), SIGNER)) {
      Thread load = Thread.ofPlatform().start(() -> {
        Semaphore open = new Semaphore(512);
        for (int i = 0; !stop.get(); i++) {
          open.acquireUninterruptibly();
          busy.appendAsync(event(16, i)).whenComplete((index, e) -> open.release());
        }
        open.acquireUninterruptibly(512);
      });
      try {
        while (busy.size() < 2_000) {
          Thread.sleep(1);
        }
        for (int i = 0; i < 10; i++) {
          others.add(other.append(event(17, i)));
        }
      } finally {
        stop.set(true);
        load.join();
      }
      busySize = busy.size();
    }
    // The other object's entries fall between the busy one's, not after them all.
    assertThat(others).isSorted().allMatch(i -> i < busySize);
    long total = LedgerVerifier.verify(dir(), KEY).size();
    assertThat(LedgerVerifier.events(dir()).stream()
        .filter(e -> e.runId().equals("run-17")).toList()).isEqualTo(events(17, 10));
    assertThat(total).isGreaterThan(others.get(9));
  }

  @Test
  void twoLedgerObjectsOnOneDirectoryTakeTurns() throws Exception {
    try (Ledger a = Ledger.open(dir(), SIGNER); Ledger b = Ledger.open(dir(), SIGNER)) {
      for (int i = 0; i < 20; i++) {
        assertThat(a.append(event(4, i))).isEqualTo(2L * i);
        assertThat(b.append(event(5, i))).isEqualTo(2L * i + 1);
      }
    }
    assertThat(LedgerVerifier.verify(dir(), KEY).size()).isEqualTo(40);
  }

  @Test
  void lastEventFindsTheNewestMatchAcrossSegments() throws Exception {
    try (Ledger l = Ledger.open(dir(), SIGNER, Optional.empty(), 4096)) {
      for (int i = 0; i < 60; i++) {
        l.append(new Event(EventKind.CONFIG_CHANGE, java.time.Instant.ofEpochSecond(i), "a",
            i % 2 == 0 ? "approve-x" : "approve-y", "sha256:" + i, "ok", "approve",
            java.util.Map.of("name", "n" + (i % 4))));
      }
    }
    try (Stream<Path> segments = Files.list(dir().resolve(Segments.DIR))) {
      assertThat(segments.count()).isGreaterThan(2);
    }
    // Newest first: 58 is the last approve-x of name n2, 57 the last approve-y of name n1.
    assertThat(LedgerVerifier.lastEvent(dir(), "\"action\":\"approve-x\"",
        e -> e.details().get("name").equals("n2"))).get()
        .satisfies(e -> assertThat(e.object()).isEqualTo("sha256:58"));
    assertThat(LedgerVerifier.lastEvent(dir(), "\"action\":\"approve-y\"",
        e -> e.details().get("name").equals("n1"))).get()
        .satisfies(e -> assertThat(e.object()).isEqualTo("sha256:57"));
    // The marker filters lines; the predicate decides.
    assertThat(LedgerVerifier.lastEvent(dir(), "\"action\":\"approve-x\"",
        e -> e.details().get("name").equals("n1"))).isEmpty();
    assertThat(LedgerVerifier.lastEvent(dir(), "\"action\":\"approve-z\"", e -> true))
        .isEmpty();
  }

  @Test
  void segmentsRollAndEveryEntryStaysProvable() throws Exception {
    try (Ledger l = Ledger.open(dir(), SIGNER, Optional.empty(), 4096)) {
      for (int i = 0; i < 120; i++) {
        l.append(event(6, i));
      }
    }
    List<Path> segments;
    try (Stream<Path> s = Files.list(dir().resolve(Segments.DIR))) {
      segments = s.sorted().toList();
    }
    assertThat(segments.size()).isGreaterThan(3);
    for (Path p : segments.subList(0, segments.size() - 1)) {
      List<byte[]> lines = LedgerTestKit.lines(p);
      assertThat(Segments.isCheckpointLine(lines.get(lines.size() - 1))).isTrue();
    }
    try (Ledger l = Ledger.open(dir(), SIGNER, Optional.empty(), 4096)) {
      assertThat(l.size()).isEqualTo(120);
      l.append(event(6, 120));
    }
    assertThat(LedgerVerifier.verify(dir(), KEY).size()).isEqualTo(121);
    for (long i = 0; i < 121; i += 7) {
      ObjectNode proof = LedgerVerifier.prove(dir(), KEY, i);
      Event e = LedgerVerifier.verifyProof(Json.canonical(proof), "proof", KEY);
      assertThat(e).isEqualTo(event(6, i));
    }
  }

  @Test
  void checkpointsAreExportedAndProveLaterGrowth() throws Exception {
    Path out = tmp.resolve("export");
    Files.createDirectories(out);
    try (Ledger l = Ledger.open(dir(), SIGNER, Optional.of(out))) {
      appendAll(l, events(7, 5));
    }
    Path first = out.resolve(String.format("checkpoint-%020d", 5));
    assertThat(first).exists();
    assertThat(Files.readAllBytes(dir().resolve(Ledger.CHECKPOINT)))
        .isEqualTo(Files.readAllBytes(first));
    try (Ledger l = Ledger.open(dir(), SIGNER, Optional.of(out))) {
      appendAll(l, events(8, 30));
    }
    byte[] latest = LedgerVerifier.latestCheckpoint(dir());
    assertThat(Files.readAllBytes(out.resolve(String.format("checkpoint-%020d", 35))))
        .isEqualTo(latest);
    byte[] earlier = Files.readAllBytes(first);
    LedgerVerifier.Result r = LedgerVerifier.verify(dir(), KEY, earlier);
    assertThat(r.size()).isEqualTo(35);
    assertThat(r.since()).isEqualTo(5);
    // The same size and the empty log are trivially extended.
    assertThat(LedgerVerifier.verify(dir(), KEY, latest).since()).isEqualTo(35);
    byte[] empty = Files.readAllBytes(out.resolve(String.format("checkpoint-%020d", 0)));
    assertThat(LedgerVerifier.verify(dir(), KEY, empty).since()).isZero();
  }

  @Test
  void everyProofVerifiesOfflineAndAChangedOneDoesNot() throws Exception {
    List<Event> events = events(9, 37);
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      appendAll(l, events);
    }
    for (int i = 0; i < 37; i++) {
      ObjectNode proof = LedgerVerifier.prove(dir(), KEY, i);
      assertThat(proof.get("tree_size").asLong()).isEqualTo(37);
      assertThat(LedgerVerifier.verifyProof(Json.canonical(proof), "p.json", KEY))
          .isEqualTo(events.get(i));
    }
    ObjectNode proof = LedgerVerifier.prove(dir(), KEY, 11);

    ObjectNode hash = proof.deepCopy();
    byte[] h0 = Base64.getDecoder().decode(hash.get("proof").get(0).asText());
    h0[0] ^= 1;
    hash.withArray("proof").set(0, Json.object().textNode(Base64.getEncoder().encodeToString(h0)));
    assertThatThrownBy(() -> LedgerVerifier.verifyProof(Json.canonical(hash), "p.json", KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("entry 11 is not in the tree");

    ObjectNode index = proof.deepCopy().put("index", 12);
    assertThatThrownBy(() -> LedgerVerifier.verifyProof(Json.canonical(index), "p.json", KEY))
        .isInstanceOf(VerificationException.class);
    // Indices that are no entry's: malformed, not merely unproven.
    for (String bad : new String[] {"-1", "99999999999999999999999"}) {
      byte[] text = Json.canonicalString(proof).replace("\"index\":11", "\"index\":" + bad)
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      assertThatThrownBy(() -> LedgerVerifier.verifyProof(text, "p.json", KEY)).as(bad)
          .isInstanceOf(BadInputException.class).hasMessageContaining("'index'");
    }

    ObjectNode entry = proof.deepCopy();
    entry.put("entry", proof.get("entry").asText().replace("actor-", "actor_"));
    assertThatThrownBy(() -> LedgerVerifier.verifyProof(Json.canonical(entry), "p.json", KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("does not hash to leaf_hash");

    ObjectNode size = proof.deepCopy().put("tree_size", 36);
    assertThatThrownBy(() -> LedgerVerifier.verifyProof(Json.canonical(size), "p.json", KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("tree_size");

    NoteSigner other = NoteSigner.generate(SIGNER.name());
    assertThatThrownBy(() -> LedgerVerifier.verifyProof(Json.canonical(proof), "p.json",
            LedgerTestKit.verifier(other)))
        .isInstanceOf(VerificationException.class);

    assertThatThrownBy(() -> LedgerVerifier.verifyProof("{".getBytes(UTF_8), "p.json", KEY))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("p.json");
    ObjectNode noProof = proof.deepCopy();
    noProof.remove("proof");
    assertThatThrownBy(() -> LedgerVerifier.verifyProof(Json.canonical(noProof), "p.json", KEY))
        .isInstanceOf(BadInputException.class);

    assertThatThrownBy(() -> LedgerVerifier.prove(dir(), KEY, 37))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("entries 0 to 36");
  }

  @Test
  void anotherKeyCannotOpenOrVerifyTheLedger() throws Exception {
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      appendAll(l, events(10, 3));
    }
    NoteSigner other = NoteSigner.generate("test-ledger");
    assertThatThrownBy(() -> Ledger.open(dir(), other))
        .isInstanceOf(VerificationException.class);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir(), LedgerTestKit.verifier(other)))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("not signed by this ledger's key");
  }

  @Test
  void theOldFormatIsRefusedNotOverwritten() throws Exception {
    Files.createDirectories(dir());
    Files.writeString(dir().resolve("entries.jsonl"), "{}\n");
    assertThatThrownBy(() -> Ledger.open(dir(), SIGNER))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("entries.jsonl");
    assertThat(Files.readString(dir().resolve("entries.jsonl"))).isEqualTo("{}\n");
  }

  @Test
  void theDerivedTreeAndOffsetsAreRebuiltWhenLostOrDamaged() throws Exception {
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      appendAll(l, events(11, 50));
    }
    LedgerTestKit.deleteTree(dir().resolve(Ledger.TREE));
    Files.delete(dir().resolve(Ledger.OFFSETS));
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      assertThat(l.size()).isEqualTo(50);
    }
    assertThat(LedgerVerifier.verifyProof(Json.canonical(LedgerVerifier.prove(dir(), KEY, 33)),
        "p", KEY)).isEqualTo(event(11, 33));
    // Zeroed pages past the exported checkpoint, as a power loss may leave the pages written
    // since the last force: the checkpoint file still says 50 when the files hold 60.
    byte[] exported = Files.readAllBytes(dir().resolve(Ledger.CHECKPOINT));
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      appendAll(l, events(12, 10));
    }
    Files.write(dir().resolve(Ledger.CHECKPOINT), exported);
    Path level0 = dir().resolve(Ledger.TREE).resolve("level-00.bin");
    byte[] b = Files.readAllBytes(level0);
    Arrays.fill(b, 32 * 52, 32 * 56, (byte) 0);
    Files.write(level0, b);
    byte[] offs = Files.readAllBytes(dir().resolve(Ledger.OFFSETS));
    Arrays.fill(offs, 8 * 55, 8 * 58, (byte) 0);
    Files.write(dir().resolve(Ledger.OFFSETS), offs);
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      assertThat(l.append(event(11, 60))).isEqualTo(60);
    }
    assertThat(LedgerVerifier.verify(dir(), KEY).size()).isEqualTo(61);
    for (long i : new long[] {52, 55, 57}) {
      assertThat(LedgerVerifier.verifyProof(Json.canonical(LedgerVerifier.prove(dir(), KEY, i)),
          "p", KEY)).isEqualTo(events(12, 10).get((int) i - 50));
    }
    // Zeroed pages before it are damage (they were forced): verify names the first one and a
    // repair mends it.
    b = Files.readAllBytes(level0);
    Arrays.fill(b, 32 * 10, 32 * 20, (byte) 0);
    Files.write(level0, b);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir(), KEY))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("the stored hash of entry 10 is not that entry's");
    assertThat(Ledger.repair(dir(), KEY)).isEqualTo(61);
    assertThat(LedgerVerifier.verify(dir(), KEY).size()).isEqualTo(61);
  }

  @Test
  void eventsWithEveryKindAndUnicodeRoundTrip() throws Exception {
    List<Event> events = new ArrayList<>();
    for (EventKind k : EventKind.values()) {
      Event e = event(12, k.ordinal());
      events.add(new Event(k, e.time(), "ünï\u2014" + k, e.action(), e.object(), e.outcome(),
          e.runId(), e.details()));
    }
    try (Ledger l = Ledger.open(dir(), SIGNER)) {
      appendAll(l, events);
    }
    assertThat(LedgerVerifier.events(dir())).isEqualTo(events);
  }
}
