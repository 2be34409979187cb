package dev.bastion.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.DirectoryLock;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Signer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;

/**
 * The append-only event log under {@code BASTION_HOME/ledger}.
 *
 * <p>{@code entries.jsonl} holds one canonical JSON line per event: {@code {"event":...,"h":...,
 * "i":N}}, where {@code h} chains the entries: {@code h[N] = SHA-256(h[N-1] || leaf[N])} and {@code
 * leaf[N]} is the RFC 9162 leaf hash of the event's canonical JSON. {@code head.json} is a
 * checkpoint signed by the ledger's identity: the size, the last chain hash and the RFC 9162 Merkle
 * root of all leaves.
 *
 * <p>An append is acknowledged (returns) only after the entry and the new signed head are on disk
 * (fsync). Opening checks the entries against the signed head and refuses a ledger whose signed
 * entries were changed or removed; an entry the head does not cover was never acknowledged (a crash
 * between the entry and its head, or something written without the key) and is dropped, as is a
 * line a crash cut short.
 *
 * <p>Thread-safe; appends from several threads, ledger objects and processes are serialised.
 */
public final class Ledger implements AutoCloseable {
  static final String ENTRIES = "entries.jsonl";
  static final String HEAD = "head.json";
  static final String SIGNER = "ledger";

  private final Path dir;
  private final Signer signer;
  private final FileChannel channel;
  private MerkleHasher tree;
  private byte[] chain;
  private long knownLength;

  private Ledger(Path dir, Signer signer, FileChannel channel) {
    this.dir = dir;
    this.signer = signer;
    this.channel = channel;
  }

  /**
   * Opens (creating if needed) the ledger in {@code dir}; appends are signed by {@code signer},
   * which must be the {@code ledger} identity.
   *
   * @throws VerificationException if the entries or the head were changed: the ledger is not
   *     appended to until someone looks ({@code bastion audit verify} names the entry)
   */
  public static Ledger open(Path dir, Signer signer) throws IOException, VerificationException {
    if (!signer.identity().name().equals(SIGNER)) {
      throw new IllegalArgumentException(
          "the ledger is signed by its own identity, not " + signer.identity().name());
    }
    Files.createDirectories(dir);
    FileChannel ch =
        FileChannel.open(
            dir.resolve(ENTRIES),
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    Ledger l = new Ledger(dir, signer, ch);
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      l.recover();
    } catch (IOException | VerificationException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return l;
  }

  /**
   * Brings the in-memory state to what the signed head covers, after checking the entries against
   * it. Called with the lock held, at open and whenever another writer changed the file.
   */
  private void recover() throws IOException, VerificationException {
    Path headFile = dir.resolve(HEAD);
    long length = channel.size();
    if (!Files.exists(headFile)) {
      if (length != 0) {
        throw new VerificationException(
            dir.resolve(ENTRIES) + ": entries without a signed head; run 'bastion audit verify'");
      }
      tree = new MerkleHasher();
      chain = new byte[32];
      knownLength = 0;
      writeHead();
      return;
    }
    SignedHead head = SignedHead.parse(Files.readAllBytes(headFile), headFile.toString());
    checkSignature(head);
    long complete = LedgerReader.completeLength(channel, length);
    LedgerReader.Scan scan =
        LedgerReader.scan(dir.resolve(ENTRIES), complete, head.size(), null);
    if (scan.entries() < head.size()) {
      throw new VerificationException(
          "ledger entry " + scan.entries() + ": missing or cut short; the signed head covers "
              + head.size() + " entries");
    }
    if (!MessageDigest.isEqual(scan.chainAtHead(), head.chain())
        || !MessageDigest.isEqual(scan.atHead().root(), head.root())) {
      throw new VerificationException(
          "ledger head: does not match the first " + head.size() + " entries");
    }
    if (scan.entries() > head.size() + 1) {
      throw new VerificationException(
          "ledger entry " + (head.size() + 1) + ": entries beyond the signed head; only one can"
              + " come from a crash");
    }
    if (length != scan.offsetAtHead()) {
      // An entry whose head never reached the disk, or a line a crash cut short: never
      // acknowledged, so dropping it loses nothing that was promised.
      channel.truncate(scan.offsetAtHead());
      channel.force(true);
    }
    tree = scan.atHead();
    chain = scan.chainAtHead();
    knownLength = scan.offsetAtHead();
  }

  private void checkSignature(SignedHead head) throws VerificationException {
    if (!head.keyId().equals(signer.identity().keyId())) {
      throw new VerificationException("ledger head: signed by another key");
    }
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initVerify(signer.identity().certificate().getPublicKey());
      s.update(head.signedBytes());
      if (!s.verify(head.sig())) {
        throw new VerificationException("ledger head: signature does not verify");
      }
    } catch (GeneralSecurityException e) {
      throw new VerificationException("ledger head: signature does not verify", e);
    }
  }

  static byte[] chainHash(byte[] previous, byte[] leaf) {
    MessageDigest md = MerkleHasher.sha256();
    md.update(previous);
    md.update(leaf);
    return md.digest();
  }

  /**
   * Appends {@code event} and returns its index, once it and the signed head are durable.
   *
   * @throws UncheckedIOException if the disk refuses the write: the caller must not go on as if the
   *     event were recorded
   * @throws IllegalStateException if the ledger was tampered with since it was opened
   */
  public synchronized long append(Event event) {
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, true)) {
      // Every other writer's append changes the size: only then is the state re-read.
      if (channel.size() != knownLength) {
        recover();
      }
      long index = tree.size();
      byte[] eventBytes = Json.canonical(event.toJson());
      byte[] leaf = MerkleHasher.leafHash(eventBytes);
      byte[] h = chainHash(chain, leaf);
      byte[] line = LedgerReader.line(index, event.toJson(), h);
      ByteBuffer buf = ByteBuffer.allocate(line.length + 1).put(line).put((byte) '\n').flip();
      long pos = knownLength;
      while (buf.hasRemaining()) {
        pos += channel.write(buf, pos);
      }
      channel.force(false);
      tree.append(leaf);
      chain = h;
      knownLength = pos;
      writeHead();
      return index;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the ledger in " + dir, e);
    } catch (VerificationException e) {
      throw new IllegalStateException(
          "the ledger in " + dir + " was changed outside Bastion: " + e.getMessage(), e);
    }
  }

  private void writeHead() throws IOException {
    byte[] bytes = SignedHead.sign(tree.size(), chain, tree.root(), signer).toBytes();
    AtomicFiles.write(dir.resolve(HEAD), bytes);
  }

  /** The number of entries. */
  public synchronized long size() {
    return tree.size();
  }

  /** The current RFC 9162 root. */
  public synchronized byte[] root() {
    return tree.root();
  }

  public Path directory() {
    return dir;
  }

  /** The signed head, as JSON. */
  public static JsonNode head(Path dir) throws IOException, BadInputException {
    return Json.parse(Files.readAllBytes(dir.resolve(HEAD)), dir.resolve(HEAD).toString());
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
