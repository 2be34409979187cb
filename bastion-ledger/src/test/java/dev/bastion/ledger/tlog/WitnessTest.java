package dev.bastion.ledger.tlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Witness}: the checks of c2sp.org/tlog-witness add-checkpoint, over files. */
class WitnessTest {
  static final String ORIGIN = "example.com/log";

  @TempDir Path tmp;
  final NoteSigner log = NoteSigner.generate(ORIGIN);
  Witness witness;
  TreeStore tree;
  TreeStore fork;

  @BeforeEach
  void setUp() throws Exception {
    witness = Witness.create(tmp.resolve("w"), "witness.example/w1");
    witness.trust(ORIGIN, log.verifier());
    tree = TreeStore.open(tmp.resolve("tree"));
    fork = TreeStore.open(tmp.resolve("fork"));
  }

  @AfterEach
  void tearDown() throws Exception {
    tree.close();
    fork.close();
  }

  /** Grows {@code t} to {@code size} leaves; leaf i is the hash of "entry i" plus {@code tag}. */
  static void grow(TreeStore t, long size, String tag) throws Exception {
    while (t.size() < size) {
      t.append(Rfc9162.leafHash(("entry " + t.size() + tag).getBytes()));
    }
  }

  byte[] checkpoint(NoteSigner key, TreeStore t, long size) throws Exception {
    return key.sign(new Checkpoint(ORIGIN, size, t.root(size)).body());
  }

  AddCheckpoint request(TreeStore t, long old, long size) throws Exception {
    List<byte[]> proof = old > 0 && old < size ? t.consistencyProof(old, size) : List.of();
    return new AddCheckpoint(old, proof, checkpoint(log, t, size));
  }

  static Stream<Long> seeds() {
    return LongStream.rangeClosed(1, 12).boxed();
  }

  /**
   * A log growing in random steps (sometimes none) is cosigned at every step; each cosigned note
   * carries the log's signature and a cosignature that verifies, and is what the witness records.
   */
  @ParameterizedTest
  @MethodSource("seeds")
  void aGrowingLogIsCosignedAtEveryStep(long seed) throws Exception {
    Random r = new Random(seed);
    long old = 0;
    for (int step = 0; step < 8; step++) {
      long size = old + (step == 3 ? 0 : r.nextInt(1, 40));
      grow(tree, size, "");
      byte[] cosigned = witness.addCheckpoint(request(tree, old, size), 1_700_000_000L + step);
      assertThat(log.verifier().verify(cosigned)).isEqualTo(
          new Checkpoint(ORIGIN, size, tree.root(size)).body());
      assertThat(witness.cosignerVerifier().verifyCosignature(cosigned))
          .isEqualTo(1_700_000_000L + step);
      assertThat(witness.latest(ORIGIN)).isEqualTo(cosigned);
      old = size;
    }
  }

  @Test
  void theStateSurvivesReopeningAndARefusalLeavesItAsItWas() throws Exception {
    grow(tree, 10, "");
    witness.addCheckpoint(request(tree, 0, 10), 1);
    byte[] before = witness.latest(ORIGIN);
    Witness again = Witness.open(tmp.resolve("w"));
    grow(tree, 20, "");
    assertThatThrownBy(() -> again.addCheckpoint(request(tree, 0, 20), 2))
        .isInstanceOfSatisfying(Witness.Refusal.class, e -> {
          assertThat(e.status()).isEqualTo(Witness.Refusal.Status.CONFLICT);
          assertThat(e.status().http()).isEqualTo(409);
          assertThat(e.latestSize()).isEqualTo(10);
        });
    assertThat(again.latest(ORIGIN)).isEqualTo(before);
    assertThat(again.cosignerVerifier().verifierKey())
        .isEqualTo(witness.cosignerVerifier().verifierKey());
    again.addCheckpoint(request(tree, 10, 20), 3);
  }

  /** A log rewritten behind the cosigned tree, even signed with the log's own key, is refused. */
  @Test
  void aRewrittenHistoryIsRefusedEvenWithTheLogsKey() throws Exception {
    grow(tree, 10, "");
    witness.addCheckpoint(request(tree, 0, 10), 1);
    grow(fork, 10, "");
    fork.truncate(7);
    grow(fork, 25, " rewritten");
    // The fork's own proof from 10 to 25 leads from the fork's root at 10, not the cosigned one.
    // A proof that does not verify proves nothing about the log (anyone can attach a bad one to
    // a checkpoint it published): not kept.
    AddCheckpoint forked = request(fork, 10, 25);
    assertRefused(forked, Witness.Refusal.Status.INVALID_PROOF, "not proven");
    Path evidence = tmp.resolve("w").resolve("evidence");
    assertThat(evidence).doesNotExist();
    // The same size with another root, signed by the log: two trees of 10 entries, a fork
    // whatever the old size says; kept as evidence of it.
    byte[] forkAt10 = checkpoint(log, fork, 10);
    AddCheckpoint sameSize = new AddCheckpoint(10, List.of(), forkAt10);
    assertRefused(sameSize, Witness.Refusal.Status.CONFLICT,
        "two different trees of 10 entries");
    AddCheckpoint fromZero = new AddCheckpoint(0, List.of(), forkAt10);
    assertRefused(fromZero, Witness.Refusal.Status.CONFLICT, "kept as evidence in " + evidence);
    try (Stream<Path> kept = Files.list(evidence)) {
      assertThat(kept.map(p -> {
        try {
          return new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).toList()).containsExactlyInAnyOrder(
          new String(sameSize.format(), java.nio.charset.StandardCharsets.UTF_8),
          new String(fromZero.format(), java.nio.charset.StandardCharsets.UTF_8));
    }
    // The honest log goes on.
    grow(tree, 25, "");
    witness.addCheckpoint(request(tree, 10, 25), 2);
  }

  @Test
  void eachRefusalOfTheProtocolHasItsStatus() throws Exception {
    grow(tree, 30, "");
    witness.addCheckpoint(request(tree, 0, 10), 1);
    NoteSigner other = NoteSigner.generate(ORIGIN);
    assertRefused(new AddCheckpoint(10, tree.consistencyProof(10, 20), checkpoint(other, tree, 20)),
        Witness.Refusal.Status.NO_VALID_SIGNATURE, "not signed by its key");
    NoteSigner stranger = NoteSigner.generate("example.com/other");
    byte[] strangerNote = stranger.sign(new Checkpoint("example.com/other", 5, tree.root(5))
        .body());
    assertRefused(new AddCheckpoint(0, List.of(), strangerNote),
        Witness.Refusal.Status.UNKNOWN_LOG, "not one this witness trusts");
    assertRefused(new AddCheckpoint(21, List.of(), checkpoint(log, tree, 20)),
        Witness.Refusal.Status.BAD_REQUEST, "larger than the checkpoint's 20");
    assertRefused(request(tree, 9, 20), Witness.Refusal.Status.CONFLICT, ", 10; prove from");
    List<byte[]> proof = tree.consistencyProof(10, 20);
    byte[] h = proof.get(0);
    h[5] ^= 1;
    proof.set(0, h);
    assertRefused(new AddCheckpoint(10, proof, checkpoint(log, tree, 20)),
        Witness.Refusal.Status.INVALID_PROOF, "not proven");
    assertRefused(new AddCheckpoint(10, tree.consistencyProof(10, 19), checkpoint(log, tree, 20)),
        Witness.Refusal.Status.INVALID_PROOF, "not proven");
    assertRefused(new AddCheckpoint(10, List.of(new byte[32]), checkpoint(log, tree, 10)),
        Witness.Refusal.Status.INVALID_PROOF, "between equal sizes");
    assertThat(Checkpoint.parse(log.verifier().verify(witness.latest(ORIGIN))).size())
        .isEqualTo(10);
  }

  @Test
  void aFirstRequestNeedsNoProofAndMayNotCarryOne() throws Exception {
    grow(tree, 10, "");
    assertRefused(new AddCheckpoint(0, List.of(new byte[32]), checkpoint(log, tree, 10)),
        Witness.Refusal.Status.INVALID_PROOF, "from the empty tree");
    assertThat(witness.latest(ORIGIN)).isNull();
  }

  @Test
  void aMalformedCheckpointIsBadInputNotARefusal() {
    assertThatThrownBy(() -> witness.addCheckpoint(
        new AddCheckpoint(0, List.of(), "not a note".getBytes()), 1))
        .isInstanceOf(BadInputException.class);
  }

  /** Requests racing from one size: exactly one is cosigned, the state never goes back. */
  @Test
  void racingRequestsNeverRollTheStateBack() throws Exception {
    grow(tree, 60, "");
    witness.addCheckpoint(request(tree, 0, 10), 1);
    List<Callable<Boolean>> calls = new ArrayList<>();
    for (long size = 11; size <= 60; size++) {
      AddCheckpoint req = request(tree, 10, size);
      calls.add(() -> {
        try {
          witness.addCheckpoint(req, 2);
          return true;
        } catch (Witness.Refusal e) {
          return false;
        }
      });
    }
    int cosigned = 0;
    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
      for (Future<Boolean> f : pool.invokeAll(calls)) {
        cosigned += f.get() ? 1 : 0;
      }
    }
    assertThat(cosigned).isEqualTo(1);
    assertThat(Checkpoint.parse(log.verifier().verify(witness.latest(ORIGIN))).size())
        .isBetween(11L, 60L);
  }

  @Test
  void aWitnessDirectoryIsMadeOnceAndItsLogsKeepTheirKeys() throws Exception {
    Path dir = tmp.resolve("w");
    assertThatThrownBy(() -> Witness.create(dir, "witness.example/w2"))
        .isInstanceOf(BadInputException.class).hasMessageContaining("already holds a witness");
    assertThatThrownBy(() -> Witness.open(tmp.resolve("nothing")))
        .isInstanceOf(BadInputException.class).hasMessageContaining("not a witness directory");
    assertThatThrownBy(() -> Witness.create(tmp.resolve("w3"), "bad name"))
        .isInstanceOf(BadInputException.class);
    assertThat(witness.trust(ORIGIN, log.verifier())).isFalse();
    assertThatThrownBy(() -> witness.trust(ORIGIN, NoteSigner.generate(ORIGIN).verifier()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("trusted already");
    assertThatThrownBy(() -> witness.trust("x", witness.cosignerVerifier()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("cosigner key");
    assertThatThrownBy(() -> witness.trust("a\nb", log.verifier()))
        .isInstanceOf(BadInputException.class);
    assertThat(witness.logs()).containsOnlyKeys(ORIGIN);
    assertThat(Files.readString(dir.resolve(Witness.VKEY)).strip())
        .isEqualTo(witness.cosignerVerifier().verifierKey());
    // A key file that is not the vkey's is refused.
    Path other = tmp.resolve("w4");
    Witness.create(other, "witness.example/w4");
    Files.copy(other.resolve(Witness.KEY), dir.resolve(Witness.KEY),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> Witness.open(dir)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("not the verifier key");
  }

  private Path stateFile() throws Exception {
    try (Stream<Path> s = Files.list(tmp.resolve("w").resolve("state"))) {
      return s.filter(p -> p.toString().endsWith(".json")).findFirst().orElseThrow();
    }
  }

  /** A state that is missing, a link, a directory or edited refuses: never a cosign from 0. */
  @Test
  void aStateThatDoesNotHoldRefusesEveryRequestForItsLog() throws Exception {
    grow(tree, 20, "");
    witness.addCheckpoint(request(tree, 0, 10), 1);
    Path state = stateFile();
    byte[] good = Files.readAllBytes(state);
    grow(fork, 20, " forked");
    AddCheckpoint forkFromZero = new AddCheckpoint(0, List.of(), checkpoint(log, fork, 20));

    Files.delete(state);
    Files.createSymbolicLink(state, tmp.resolve("nowhere"));
    assertStateRefused(forkFromZero, "is not a regular file");
    Files.delete(state);
    assertStateRefused(forkFromZero, "is missing");
    Files.createDirectory(state);
    assertStateRefused(forkFromZero, "is not a regular file");
    Files.delete(state);

    // Another log's cosigned checkpoint put in its place.
    NoteSigner otherLog = NoteSigner.generate("example.com/other");
    witness.trust("example.com/other", otherLog.verifier());
    byte[] otherNote = otherLog.sign(new Checkpoint("example.com/other", 5, tree.root(5)).body());
    witness.addCheckpoint(new AddCheckpoint(0, List.of(), otherNote), 1);
    String otherState = new String(good, java.nio.charset.StandardCharsets.UTF_8);
    Files.writeString(state, otherState.replace(ORIGIN, "example.com/other"));
    assertStateRefused(forkFromZero, "names another origin");
    // The cosigned checkpoint changed: its cosignature no longer verifies.
    Files.writeString(state, otherState.replace("\\n10\\n", "\\n11\\n"));
    assertStateRefused(request(tree, 11, 20), "does not hold");
    Files.writeString(state, "");
    assertStateRefused(forkFromZero, "does not hold");

    Files.write(state, good);
    witness.addCheckpoint(request(tree, 10, 20), 2);
    Files.delete(tmp.resolve("w").resolve("state").resolve(state.getFileName()));
    Files.delete(stateFile());
    Files.delete(tmp.resolve("w").resolve("state"));
    assertThatThrownBy(() -> Witness.open(tmp.resolve("w")))
        .isInstanceOf(dev.bastion.core.VerificationException.class)
        .hasMessageContaining("lost its state");
  }

  /** Found by the second QA pass: each way to reset a log to 0, or to plant files, is refused. */
  @Test
  void noOneWhoCannotSignAsTheWitnessResetsALogOrPlantsItsFiles() throws Exception {
    Path dir = tmp.resolve("w");
    Path state = stateFile();
    String fresh = Files.readString(state);
    assertThat(fresh).contains("\"checkpoint\" : null").contains("\"fresh\"");
    grow(tree, 10, "");
    // A hand-written "nothing cosigned yet" is not the witness's.
    Files.writeString(state, "{\"origin\":\"" + ORIGIN + "\",\"checkpoint\":null}");
    assertStateRefused(request(tree, 0, 10), "does not hold");
    // Another log's signed "nothing cosigned yet" is not this log's.
    NoteSigner other = NoteSigner.generate("example.com/other");
    witness.trust("example.com/other", other.verifier());
    String otherFresh;
    try (Stream<Path> s = Files.list(dir.resolve("state"))) {
      Path o = s.filter(p -> !p.equals(state)).findFirst().orElseThrow();
      otherFresh = Files.readString(o);
    }
    Files.writeString(state, otherFresh.replace("\"example.com/other\"", "\"" + ORIGIN + "\""));
    assertStateRefused(request(tree, 0, 10), "signed for another log");
    Files.writeString(state, fresh);
    witness.addCheckpoint(request(tree, 0, 10), 1);

    var perms = java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");
    assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(perms);
    assertThat(Files.getPosixFilePermissions(dir.resolve("state"))).isEqualTo(perms);
    Files.setPosixFilePermissions(dir.resolve("state"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThatThrownBy(() -> Witness.open(dir))
        .isInstanceOf(dev.bastion.core.VerificationException.class)
        .hasMessageContaining("others may write");
    Files.setPosixFilePermissions(dir.resolve("state"), perms);
    Files.setPosixFilePermissions(dir.resolve(Witness.KEY),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Witness.open(dir);

    // evidence/ planted as a link elsewhere: not followed.
    Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
    Files.createSymbolicLink(dir.resolve("evidence"), elsewhere);
    grow(fork, 10, " forked");
    assertRefused(new AddCheckpoint(10, List.of(), checkpoint(log, fork, 10)),
        Witness.Refusal.Status.CONFLICT, "was not kept");
    try (Stream<Path> s = Files.list(elsewhere)) {
      assertThat(s).isEmpty();
    }

    // A new witness is not made over the files of an earlier one whose keys are gone.
    Files.delete(dir.resolve(Witness.KEY));
    Files.delete(dir.resolve(Witness.VKEY));
    assertThatThrownBy(() -> Witness.create(dir, "witness.example/w1"))
        .isInstanceOf(BadInputException.class).hasMessageContaining("of an earlier witness");
  }

  /**
   * A trust cut off between its two writes (the state written, the log not yet in logs.json) is
   * finished by trusting the log again; a state that holds a cosigned checkpoint, or that this
   * witness did not sign, is never taken over that way.
   */
  @Test
  void aTrustCutOffBeforeItNamedTheLogIsFinishedByTrustingItAgain() throws Exception {
    Path dir = tmp.resolve("w");
    String before = Files.readString(dir.resolve(Witness.LOGS));
    NoteSigner other = NoteSigner.generate("example.com/other");
    witness.trust("example.com/other", other.verifier());
    Path state = stateFile();
    Path otherState;
    try (Stream<Path> s = Files.list(dir.resolve("state"))) {
      otherState = s.filter(p -> !p.equals(state)).findFirst().orElseThrow();
    }
    // As if the process had died after the state and before logs.json.
    Files.writeString(dir.resolve(Witness.LOGS), before);
    assertThat(witness.logs()).doesNotContainKey("example.com/other");
    assertThat(witness.trust("example.com/other", other.verifier())).isTrue();
    assertThat(witness.logs()).containsKey("example.com/other");

    // A state with a cosigned checkpoint, its log gone from logs.json: refused.
    grow(tree, 5, "");
    witness.addCheckpoint(request(tree, 0, 5), 1);
    Files.writeString(dir.resolve(Witness.LOGS), "{\"logs\":[{\"origin\":\"example.com/other\","
        + "\"key\":\"" + other.verifier().verifierKey() + "\"}]}");
    assertThat(witness.logs()).containsOnlyKeys("example.com/other");
    assertThatThrownBy(() -> witness.trust(ORIGIN, log.verifier()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("move it aside first");
    // A hand-written "nothing cosigned yet": refused too.
    Files.writeString(otherState, "{\"origin\":\"example.com/other\",\"checkpoint\":null}");
    Files.writeString(dir.resolve(Witness.LOGS), before);
    assertThatThrownBy(() -> witness.trust("example.com/other", other.verifier()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("move it aside first");
  }

  private void assertStateRefused(AddCheckpoint req, String message) {
    assertThatThrownBy(() -> witness.addCheckpoint(req, 99))
        .isInstanceOf(dev.bastion.core.VerificationException.class)
        .isNotInstanceOf(Witness.Refusal.class)
        .hasMessageContaining("the witness's state of \"" + ORIGIN + "\"")
        .hasMessageContaining(message);
  }

  @Test
  void aCheckpointSentBackWithThisWitnesssCosignatureIsCosignedAgain() throws Exception {
    grow(tree, 10, "");
    byte[] cosigned = witness.addCheckpoint(request(tree, 0, 10), 1);
    byte[] again = witness.addCheckpoint(new AddCheckpoint(10, List.of(), cosigned), 2);
    assertThat(witness.cosignerVerifier().verifyCosignature(again)).isEqualTo(2);
    String text = new String(again, java.nio.charset.StandardCharsets.UTF_8);
    assertThat(text.split("\u2014 witness.example/w1 ", -1)).hasSize(2);
    assertThat(log.verifier().verify(again)).isEqualTo(log.verifier().verify(cosigned));
    // With the log's signature taken away, only this witness's own is left: not signed by the log.
    String body = new String(log.verifier().verify(cosigned),
        java.nio.charset.StandardCharsets.UTF_8);
    String own = text.substring(text.lastIndexOf("\u2014 witness.example/w1 "));
    assertRefused(new AddCheckpoint(10, List.of(), (body + "\n" + own).getBytes(
        java.nio.charset.StandardCharsets.UTF_8)), Witness.Refusal.Status.NO_VALID_SIGNATURE,
        "not signed by its key");
  }

  @Test
  void aTreeOfNoEntriesMustHaveTheEmptyRoot() throws Exception {
    byte[] wrong = log.sign(new Checkpoint(ORIGIN, 0, new byte[32]).body());
    assertRefused(new AddCheckpoint(0, List.of(), wrong), Witness.Refusal.Status.CONFLICT,
        "not the empty tree's");
    byte[] empty = log.sign(new Checkpoint(ORIGIN, 0, Rfc9162.emptyRoot()).body());
    witness.addCheckpoint(new AddCheckpoint(0, List.of(), empty), 1);
  }

  @Test
  void aHandEditedLogsFileOrAnOpenKeyIsRefused() throws Exception {
    Path dir = tmp.resolve("w");
    Path logs = dir.resolve(Witness.LOGS);
    String good = Files.readString(logs);
    String entry = "{\"origin\":\"" + ORIGIN + "\",\"key\":\"" + log.verifierKey() + "\"}";
    Files.writeString(logs, "{\"logs\":[" + entry + "," + entry.replace(log.verifierKey(),
        NoteSigner.generate(ORIGIN).verifierKey()) + "]}");
    assertThatThrownBy(() -> witness.logs()).isInstanceOf(BadInputException.class)
        .hasMessageContaining("listed twice").hasMessageStartingWith(logs.toString());
    Files.writeString(logs, "{\"logs\":[" + entry.replace(log.verifierKey(),
        witness.cosignerVerifier().verifierKey()) + "]}");
    assertThatThrownBy(() -> witness.logs()).isInstanceOf(BadInputException.class)
        .hasMessageContaining("cosigner key");
    Files.writeString(logs, good);
    Files.setPosixFilePermissions(dir.resolve(Witness.KEY),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> Witness.open(dir)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("may be read by others");
    Path file = tmp.resolve("a-file");
    Files.writeString(file, "x");
    assertThatThrownBy(() -> Witness.create(file, "witness.example/w9"))
        .isInstanceOf(BadInputException.class).hasMessageContaining("not a directory");
  }

  private void assertRefused(AddCheckpoint req, Witness.Refusal.Status status, String message) {
    assertThatThrownBy(() -> witness.addCheckpoint(req, 99))
        .isInstanceOfSatisfying(Witness.Refusal.class,
            e -> assertThat(e.status()).isEqualTo(status))
        .hasMessageContaining(message);
  }
}
