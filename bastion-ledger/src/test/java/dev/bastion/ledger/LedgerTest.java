package dev.bastion.ledger;

import static dev.bastion.ledger.LedgerFixtures.entries;
import static dev.bastion.ledger.LedgerFixtures.events;
import static dev.bastion.ledger.LedgerFixtures.expectedRoot;
import static dev.bastion.ledger.LedgerFixtures.head;
import static dev.bastion.ledger.LedgerFixtures.lines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Keyring;
import dev.bastion.crypto.Signer;
import dev.bastion.crypto.Trust;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LedgerTest {
  @TempDir static Path keysDir;
  private static Keyring keyring;
  private static Signer signer;
  private static Trust trust;

  @TempDir Path dir;

  @BeforeAll
  static void initialise() throws Exception {
    keyring = Keyring.initialise(keysDir.resolve("keys"));
    signer = keyring.signer("ledger");
    trust = keyring.trust();
  }

  @ParameterizedTest(name = "{0} events")
  @ValueSource(ints = {0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33})
  void appendedEventsVerify(int n) throws Exception {
    List<Event> events = events(n, n);
    List<Long> indices = new ArrayList<>();
    byte[] root;
    try (Ledger ledger = Ledger.open(dir, signer)) {
      for (Event e : events) {
        indices.add(ledger.append(e));
      }
      assertThat(ledger.size()).isEqualTo(n);
      root = ledger.root();
    }

    LedgerVerifier.Result result = LedgerVerifier.verify(dir, trust);

    assertThat(indices).containsExactlyElementsOf(LongStream.range(0, n).boxed().toList());
    assertThat(result.size()).isEqualTo(n);
    assertThat(result.root())
        .isEqualTo(Base64.getEncoder().encodeToString(root))
        .isEqualTo(expectedRoot(events));
    assertThat(LedgerVerifier.events(dir)).containsExactlyElementsOf(events);
    assertThat(lines(dir)).hasSize(n);
    JsonNode h = Ledger.head(dir);
    assertThat(h.path("size").asLong()).isEqualTo(n);
    assertThat(h.path("root").asText()).isEqualTo(result.root());
    assertThat(h.path("keyid").asText()).isEqualTo(signer.identity().keyId());
  }

  @Test
  void anEmptyLedgerHasTheEmptyRoot() throws Exception {
    Ledger.open(dir, signer).close();

    LedgerVerifier.Result result = LedgerVerifier.verify(dir, trust);

    assertThat(result.size()).isZero();
    assertThat(result.root()).isEqualTo("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  }

  @Test
  void entriesAreOneCanonicalJsonLineEach() throws Exception {
    List<Event> events = events(7, 3);
    try (Ledger ledger = Ledger.open(dir, signer)) {
      events.forEach(ledger::append);
    }

    List<byte[]> lines = lines(dir);
    for (int i = 0; i < lines.size(); i++) {
      JsonNode line = Json.parse(lines.get(i), "line " + i);
      assertThat(Json.canonical(line)).isEqualTo(lines.get(i));
      assertThat(line.path("i").asLong()).isEqualTo(i);
      assertThat(Event.fromJson(line.path("event"))).isEqualTo(events.get(i));
      assertThat(line.path("h").asText()).matches("[0-9a-f]{64}");
    }
  }

  @Test
  void reopeningAndAppendingMoreStillVerifies() throws Exception {
    List<Event> first = events(1, 5);
    List<Event> second = events(2, 4);
    byte[] rootAfterFirst;
    try (Ledger ledger = Ledger.open(dir, signer)) {
      first.forEach(ledger::append);
      rootAfterFirst = ledger.root();
    }
    byte[] headAfterFirst = Files.readAllBytes(head(dir));
    assertThat(LedgerVerifier.verify(dir, trust).size()).isEqualTo(5);

    try (Ledger ledger = Ledger.open(dir, signer)) {
      assertThat(ledger.size()).isEqualTo(5);
      assertThat(ledger.root()).isEqualTo(rootAfterFirst);
      assertThat(Files.readAllBytes(head(dir))).as("opening alone rewrites nothing").isEqualTo(headAfterFirst);
      assertThat(second.stream().map(ledger::append).toList()).containsExactly(5L, 6L, 7L, 8L);
    }

    List<Event> all = new ArrayList<>(first);
    all.addAll(second);
    LedgerVerifier.Result result = LedgerVerifier.verify(dir, trust);
    assertThat(result.size()).isEqualTo(9);
    assertThat(result.root()).isEqualTo(expectedRoot(all));
    assertThat(LedgerVerifier.events(dir)).containsExactlyElementsOf(all);
  }

  @Test
  void concurrentAppendsLoseNothing() throws Exception {
    int threads = 4;
    int perThread = 25;
    List<Long> indices = Collections.synchronizedList(new ArrayList<>());
    Set<String> submitted = Collections.synchronizedSet(new TreeSet<>());
    try (Ledger ledger = Ledger.open(dir, signer)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          done.add(
              pool.submit(
                  () -> {
                    Random r = new Random(thread);
                    for (int i = 0; i < perThread; i++) {
                      Event e = LedgerFixtures.event(r, thread * 1000 + i);
                      submitted.add(e.runId());
                      indices.add(ledger.append(e));
                    }
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(ledger.size()).isEqualTo(threads * perThread);
    }

    assertThat(indices)
        .containsExactlyInAnyOrderElementsOf(LongStream.range(0, threads * perThread).boxed().toList());
    assertThat(LedgerVerifier.verify(dir, trust).size()).isEqualTo(threads * perThread);
    assertThat(LedgerVerifier.events(dir).stream().map(Event::runId).toList())
        .containsExactlyInAnyOrderElementsOf(submitted);
  }

  /**
   * Two Ledger objects on one directory in one JVM (two Home.open calls, say): file locks are per
   * process, so the ledger also serialises the threads of one JVM, and nothing is lost.
   */
  @Test
  void twoInstancesInOneJvmLoseNothing() throws Exception {
    try (Ledger a = Ledger.open(dir, signer);
        Ledger b = Ledger.open(dir, signer)) {
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (Ledger l : List.of(a, b)) {
          int seed = done.size();
          done.add(
              pool.submit(
                  () -> {
                    Random r = new Random(seed);
                    for (int i = 0; i < 30; i++) {
                      l.append(LedgerFixtures.event(r, seed * 1000 + i));
                    }
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
    }

    assertThat(LedgerVerifier.verify(dir, trust).size()).isEqualTo(60);
  }

  @Test
  void onlyTheLedgerIdentityMayOpenIt() throws Exception {
    Signer gate = keyring.signer("gate");

    assertThatThrownBy(() -> Ledger.open(dir, gate)).isInstanceOf(IllegalArgumentException.class);
    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void openRefusesABrokenChainAndNamesTheEntry() throws Exception {
    try (Ledger ledger = Ledger.open(dir, signer)) {
      events(3, 6).forEach(ledger::append);
    }
    List<byte[]> lines = lines(dir);
    String line3 = new String(lines.get(3), java.nio.charset.StandardCharsets.UTF_8);
    lines.set(3, LedgerFixtures.utf8(line3.replace("\"run-3\"", "\"run-X\"")));
    LedgerFixtures.writeLines(dir, lines);

    assertThatThrownBy(() -> Ledger.open(dir, signer))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger entry 3");
  }

  @Test
  void openDropsAnEntryACrashCutShort() throws Exception {
    List<Event> events = events(4, 3);
    try (Ledger ledger = Ledger.open(dir, signer)) {
      events.forEach(ledger::append);
    }
    // A crash during the next append: part of a line, no newline, head not yet rewritten.
    Files.write(entries(dir), LedgerFixtures.utf8("{\"event\":{\"act"), StandardOpenOption.APPEND);

    try (Ledger ledger = Ledger.open(dir, signer)) {
      assertThat(ledger.size()).isEqualTo(3);
      assertThat(LedgerVerifier.verify(dir, trust).size()).isEqualTo(3);
      ledger.append(events(5, 1).get(0));
    }

    assertThat(LedgerVerifier.verify(dir, trust).size()).isEqualTo(4);
  }

  @Test
  void anEntryWhoseHeadNeverReachedTheDiskIsDroppedAtOpen() throws Exception {
    List<Event> events = events(8, 4);
    try (Ledger ledger = Ledger.open(dir, signer)) {
      events.subList(0, 3).forEach(ledger::append);
    }
    byte[] headAt3 = Files.readAllBytes(head(dir));
    try (Ledger ledger = Ledger.open(dir, signer)) {
      ledger.append(events.get(3));
    }
    // The crash: entry 3 reached the disk, its head did not. The append never returned, so
    // the entry was never acknowledged: verify reports it, open drops it.
    Files.write(head(dir), headAt3);

    assertThatThrownBy(() -> LedgerVerifier.verify(dir, trust))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger entry 3")
        .hasMessageContaining("not covered by the signed head");

    Event next = events(9, 1).get(0);
    try (Ledger ledger = Ledger.open(dir, signer)) {
      assertThat(ledger.size()).isEqualTo(3);
      assertThat(ledger.append(next)).isEqualTo(3);
    }
    LedgerVerifier.Result healed = LedgerVerifier.verify(dir, trust);
    assertThat(healed.size()).isEqualTo(4);
    List<Event> all = new ArrayList<>(events.subList(0, 3));
    all.add(next);
    assertThat(healed.root()).isEqualTo(expectedRoot(all));
  }

  @Test
  void aLedgerSignedInAnotherDeploymentDoesNotVerifyHere(@TempDir Path otherKeys) throws Exception {
    Keyring other = Keyring.initialise(otherKeys);
    try (Ledger ledger = Ledger.open(dir, other.signer("ledger"))) {
      events(6, 2).forEach(ledger::append);
    }

    assertThat(LedgerVerifier.verify(dir, other.trust()).size()).isEqualTo(2);
    assertThatThrownBy(() -> LedgerVerifier.verify(dir, trust))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("ledger head");
  }
}
