package dev.bastion.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.KekRotation;
import dev.bastion.crypto.Keyring;
import dev.bastion.ledger.Ledger;
import dev.bastion.ledger.tlog.NoteSigner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The encrypted store: both envelope forms, streaming in bounded memory, tampering, rotation. */
class ArtifactStoreTest {
  /** Small enough that tests reach the streamed form without large buffers. */
  private static final int THRESHOLD = 4096;

  @TempDir Path tmp;
  private Keyring keyring;
  private Ledger ledger;
  private ArtifactStore store;

  @BeforeEach
  void open() throws Exception {
    keyring = Keyring.initialise(tmp.resolve("keys"));
    ledger = Ledger.open(tmp.resolve("ledger"), signer(keyring));
    store = new ArtifactStore(tmp.resolve("store"), keyring.artifactKeys(), ledger, THRESHOLD);
  }

  @AfterEach
  void close() throws IOException {
    ledger.close();
  }

  private void reopen() throws Exception {
    ledger.close();
    keyring = Keyring.open(tmp.resolve("keys"));
    ledger = Ledger.open(tmp.resolve("ledger"), signer(keyring));
    store = new ArtifactStore(tmp.resolve("store"), keyring.artifactKeys(), ledger, THRESHOLD);
  }

  private static NoteSigner signer(Keyring k) throws Exception {
    return NoteSigner.fromPrivateKey("test-ledger", k.checkpointKey());
  }

  private static byte[] random(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void flip(Path file, long at) throws IOException {
    byte[] b = Files.readAllBytes(file);
    int i = (int) Math.min(at, b.length - 1);
    b[i] ^= 0x01;
    Files.write(file, b);
  }

  private long refusals() throws IOException {
    long n = 0;
    try (Stream<Path> segments = Files.list(tmp.resolve("ledger").resolve("segments"))) {
      for (Path segment : segments.toList()) {
        n += Files.readAllLines(segment).stream().filter(l -> l.contains("\"refused\"")).count();
      }
    }
    return n;
  }

  /** Sizes around the threshold and around Tink's 1 MiB segments (first one shorter). */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 4095, 4096, 4097, 65536, 1048535, 1048536, 1048576, 1048577,
      2097152, 3145745})
  void roundTripsEverySize(int size) throws Exception {
    byte[] data = random(size, size);
    Digest d = store.put(data, "test", "t", "r");
    assertThat(d).isEqualTo(Digest.of(data));
    assertThat(store.isStreamed(d)).isEqualTo(size >= THRESHOLD);
    assertThat(store.get(d, "t", "r")).isEqualTo(data);

    Path out = tmp.resolve("out.bin");
    store.export(d, out, "t", "r");
    assertThat(Files.readAllBytes(out)).isEqualTo(data);

    // The same content from a file names the same artifact and writes nothing new.
    Path in = tmp.resolve("in.bin");
    Files.write(in, data);
    byte[] blob = Files.readAllBytes(store.pathOf(d));
    assertThat(store.put(in, "test", "t", "r")).isEqualTo(d);
    assertThat(Files.readAllBytes(store.pathOf(d))).isEqualTo(blob);
  }

  @Test
  void aKekFileThatCannotBeReadAgainIsNamedNotTheArtifact() throws Exception {
    Digest small = store.put("a small report".getBytes(StandardCharsets.UTF_8), "t", "t", "r");
    Path in = tmp.resolve("big.csv");
    Files.write(in, "row\n".repeat(100_000).getBytes(StandardCharsets.UTF_8));
    Digest big = store.put(in, "snapshot", "t", "r");
    Files.writeString(tmp.resolve("keys").resolve("kek.json"), "garbage");
    for (Digest d : new Digest[] {small, big}) {
      assertThatThrownBy(() -> store.get(d, "t", "r"))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining("kek.json changed and cannot be read again")
          .hasMessageNotContaining("modified or replaced");
    }
  }

  @Test
  void aFileIsStoredStreamedAndNeverInClear() throws Exception {
    byte[] data = ("secret row\n".repeat(50_000)).getBytes(StandardCharsets.UTF_8);
    Path in = tmp.resolve("data.csv");
    Files.write(in, data);
    Digest d = store.put(in, "snapshot", "t", "r");
    assertThat(d).isEqualTo(Digest.of(data));
    assertThat(store.isStreamed(d)).isTrue();
    byte[] blob = Files.readAllBytes(store.pathOf(d));
    assertThat(new String(blob, StandardCharsets.ISO_8859_1)).doesNotContain("secret row");
    assertThat(store.get(d, "t", "r")).isEqualTo(data);
    // Nothing but the blob and its key is left behind.
    try (Stream<Path> s = Files.walk(tmp.resolve("store"))) {
      assertThat(s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(d.hex(), d.hex() + ".key", ".lock");
    }
  }

  /** Every way of damaging a streamed artifact is refused, naming it, and logged as refused. */
  @ParameterizedTest
  @ValueSource(strings = {"blob-first-byte", "blob-middle", "blob-last-byte", "key-byte",
      "key-deleted", "truncated-segment", "truncated-tail", "extended", "blob-swapped",
      "blob-and-key-swapped", "emptied"})
  void aDamagedStreamedArtifactIsRefused(String damage) throws Exception {
    byte[] data = random(7, 2 * 1048576 + 100);
    Digest d = store.put(data, "test", "t", "r");
    Digest other = store.put(random(8, 2 * 1048576 + 100), "test", "t", "r");
    Path blob = store.pathOf(d);
    Path key = store.keyPathOf(d);
    long size = Files.size(blob);
    switch (damage) {
      case "blob-first-byte" -> flip(blob, 0);
      case "blob-middle" -> flip(blob, size / 2);
      case "blob-last-byte" -> flip(blob, size - 1);
      case "key-byte" -> flip(key, Files.size(key) / 2);
      case "key-deleted" -> Files.delete(key);
      case "truncated-segment" -> truncate(blob, size - 1048576);
      case "truncated-tail" -> truncate(blob, size - 1);
      case "extended" -> Files.write(blob, new byte[] {0}, StandardOpenOption.APPEND);
      case "blob-swapped" -> Files.copy(store.pathOf(other), blob,
          StandardCopyOption.REPLACE_EXISTING);
      case "blob-and-key-swapped" -> {
        Files.copy(store.pathOf(other), blob, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(store.keyPathOf(other), key, StandardCopyOption.REPLACE_EXISTING);
      }
      case "emptied" -> Files.write(blob, new byte[0]);
      default -> throw new AssertionError(damage);
    }
    long before = refusals();
    assertThatThrownBy(() -> store.get(d, "t", "r"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(d.toString());
    Path out = tmp.resolve("out.bin");
    assertThatThrownBy(() -> store.export(d, out, "t", "r"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(d.toString());
    assertThat(out).doesNotExist();
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
    assertThat(refusals()).isEqualTo(before + 2);
    // The other artifact is untouched.
    assertThat(Digest.of(store.get(other, "t", "r"))).isEqualTo(other);
  }

  private static void truncate(Path file, long size) throws IOException {
    byte[] b = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(b, (int) size));
  }

  @Test
  void aStreamedBlobUnderAnotherStoresKeysIsRefused() throws Exception {
    byte[] data = random(9, 100_000);
    Digest d = store.put(data, "test", "t", "r");
    Keyring foreign = Keyring.initialise(tmp.resolve("other-keys"));
    try (Ledger l2 = Ledger.open(tmp.resolve("other-ledger"), signer(foreign))) {
      ArtifactStore theirs =
          new ArtifactStore(tmp.resolve("other-store"), foreign.artifactKeys(), l2, THRESHOLD);
      assertThat(theirs.put(data, "test", "t", "r")).isEqualTo(d);
      Files.copy(theirs.pathOf(d), store.pathOf(d),
          StandardCopyOption.REPLACE_EXISTING);
      Files.copy(theirs.keyPathOf(d), store.keyPathOf(d),
          StandardCopyOption.REPLACE_EXISTING);
    }
    assertThatThrownBy(() -> store.get(d, "t", "r"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("does not decrypt");
  }

  @Test
  void rotationRewrapsOnlyTheKeyOfAStreamedBlob() throws Exception {
    byte[] big = random(10, 300_000);
    byte[] small = random(11, 100);
    Digest b = store.put(big, "test", "t", "r");
    Digest s = store.put(small, "test", "t", "r");
    byte[] blobBefore = Files.readAllBytes(store.pathOf(b));
    byte[] keyBefore = Files.readAllBytes(store.keyPathOf(b));
    // A key left by a put that died before publishing its blob.
    Path orphan = store.keyPathOf(Digest.of(new byte[] {1, 2, 3}));
    Files.createDirectories(orphan.getParent());
    Files.write(orphan, keyBefore);

    KekRotation rotation = keyring.beginKekRotation();
    assertThat(store.rewrapAll(rotation, "t", "rotate")).isEqualTo(2);
    assertThat(keyring.retire(rotation)).isEqualTo(1);
    assertThat(orphan).doesNotExist();
    assertThat(Files.readAllBytes(store.pathOf(b))).isEqualTo(blobBefore); // not re-encrypted
    assertThat(Files.readAllBytes(store.keyPathOf(b))).isNotEqualTo(keyBefore);

    reopen();
    assertThat(store.get(b, "t", "r")).isEqualTo(big);
    assertThat(store.get(s, "t", "r")).isEqualTo(small);
    // A backup of the key from before the rotation was wrapped by a destroyed KEK.
    Files.write(store.keyPathOf(b), keyBefore);
    assertThatThrownBy(() -> store.get(b, "t", "r"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(b.toString());
  }

  @Test
  void eraseDestroysTheKeyAndTheBlob() throws Exception {
    byte[] data = random(12, 200_000);
    Digest d = store.put(data, "snapshot", "t", "r");
    byte[] blob = Files.readAllBytes(store.pathOf(d));
    byte[] key = Files.readAllBytes(store.keyPathOf(d));
    store.erase(d, "t", "r", "subject request");
    assertThat(store.pathOf(d)).doesNotExist();
    assertThat(store.keyPathOf(d)).doesNotExist();
    assertThat(store.contains(d)).isFalse();
    assertThatThrownBy(() -> store.get(d, "t", "r"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("artifact " + d + " was erased (by t at ")
        .hasMessageEndingWith(": subject request)");

    // Backups restored after the erase and a rotation that destroyed the old KEK: dead.
    KekRotation rotation = keyring.beginKekRotation();
    store.rewrapAll(rotation, "t", "rotate");
    keyring.retire(rotation);
    reopen();
    Files.write(store.pathOf(d), blob);
    Files.write(store.keyPathOf(d), key);
    assertThatThrownBy(() -> store.get(d, "t", "r"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("does not decrypt");
  }

  /**
   * The cheap presence check a server makes of a model's data: an erased artifact stays erased
   * whatever is put at its path; a link, an empty file or a blob without its key is not one.
   */
  @Test
  void anErasedArtifactIsNotPresentAgainWhateverIsPutAtItsPath() throws Exception {
    byte[] small = random(14, 1000);
    byte[] big = random(15, 200_000);
    Digest s = store.put(small, "snapshot", "t", "r");
    Digest b = store.put(big, "snapshot", "t", "r");
    store.checkPresent(s, "t", "r");
    store.checkPresent(b, "t", "r");
    byte[] smallBlob = Files.readAllBytes(store.pathOf(s));
    byte[] bigBlob = Files.readAllBytes(store.pathOf(b));
    byte[] bigKey = Files.readAllBytes(store.keyPathOf(b));

    store.erase(s, "t", "r", "subject request");
    store.erase(b, "t", "r", "subject request");
    Files.write(store.pathOf(s), new byte[0]);
    Files.write(store.pathOf(b), bigBlob);
    Files.write(store.keyPathOf(b), bigKey);
    for (Digest d : List.of(s, b)) {
      assertThatThrownBy(() -> store.checkPresent(d, "t", "r"))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining("artifact " + d + " was erased (by t at ");
    }

    // Not erased, but what is at the path cannot be the artifact.
    Digest s2 = store.put(random(16, 1000), "snapshot", "t", "r");
    Digest b2 = store.put(random(17, 200_000), "snapshot", "t", "r");
    Files.write(store.pathOf(s2), new byte[0]);
    Files.delete(store.keyPathOf(b2));
    Files.write(store.pathOf(b2), new byte[3]);
    for (Digest d : List.of(s2, b2)) {
      assertThatThrownBy(() -> store.checkPresent(d, "t", "r"))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining("it was modified or replaced");
    }
    Files.delete(store.pathOf(s2));
    Files.createSymbolicLink(store.pathOf(s2), store.pathOf(b2));
    assertThatThrownBy(() -> store.checkPresent(s2, "t", "r"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("it was modified or replaced");
    Files.delete(store.pathOf(s2));
    Files.write(store.pathOf(s2), smallBlob); // another artifact's envelope: the shape holds
    store.checkPresent(s2, "t", "r");
  }

  @Test
  void exportNeverLeavesAHalfWrittenTarget() throws Exception {
    byte[] data = random(13, 3 * 1048576);
    Digest d = store.put(data, "test", "t", "r");
    Path out = tmp.resolve("model.bin");
    Files.write(out, "previous".getBytes(StandardCharsets.UTF_8));
    flip(store.pathOf(d), Files.size(store.pathOf(d)) - 10); // the last segment
    assertThatThrownBy(() -> store.export(d, out, "t", "r"))
        .isInstanceOf(VerificationException.class);
    assertThat(Files.readString(out)).isEqualTo("previous");
  }

  @Test
  void missingArtifactIsOneClearError() {
    Digest d = Digest.of(new byte[] {42});
    assertThatThrownBy(() -> store.get(d, "t", "r"))
        .isInstanceOf(VerificationException.class)
        .hasMessage("artifact " + d + " is not in the store");
    assertThatThrownBy(() -> store.export(d, tmp.resolve("x"), "t", "r"))
        .isInstanceOf(VerificationException.class)
        .hasMessage("artifact " + d + " is not in the store");
    assertThat(tmp.resolve("x")).doesNotExist();
  }
}
