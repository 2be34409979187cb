package dev.bastion.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Signer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The append-only event log under {@code BASTION_HOME/ledger}.
 *
 * <p>{@code entries.jsonl} holds one canonical JSON line per event: {@code {"event":...,"h":...,
 * "i":N}}, where {@code h} chains the entries: {@code h[N] = SHA-256(h[N-1] || leaf[N])} and {@code
 * leaf[N]} is the RFC 9162 leaf hash of the event's canonical JSON. {@code head.json} is a
 * checkpoint signed by the ledger's identity: the size, the last chain hash and the RFC 9162 Merkle
 * root of all leaves. An append returns only after the entry and the new head are on disk (fsync).
 *
 * <p>Thread-safe; appends from several processes are serialised by a file lock.
 */
public final class Ledger implements AutoCloseable {
  static final String ENTRIES = "entries.jsonl";
  static final String HEAD = "head.json";
  static final String SIGNER = "ledger";

  private final Path dir;
  private final Signer signer;
  private final FileChannel channel;
  private final FileChannel lockChannel;
  private MerkleHasher tree = new MerkleHasher();
  private byte[] chain = new byte[32];
  private long knownLength;

  private Ledger(Path dir, Signer signer, FileChannel channel, FileChannel lockChannel) {
    this.dir = dir;
    this.signer = signer;
    this.channel = channel;
    this.lockChannel = lockChannel;
  }

  /**
   * Opens (creating if needed) the ledger in {@code dir}; appends are signed by {@code signer},
   * which must be the {@code ledger} identity.
   *
   * @throws VerificationException if the existing entries are not a well-formed chain
   */
  public static Ledger open(Path dir, Signer signer) throws IOException, VerificationException {
    if (!signer.identity().name().equals(SIGNER)) {
      throw new IllegalArgumentException("the ledger is signed by its own identity, not "
          + signer.identity().name());
    }
    Files.createDirectories(dir);
    FileChannel ch =
        FileChannel.open(
            dir.resolve(ENTRIES),
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    FileChannel lockCh =
        FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    Ledger l = new Ledger(dir, signer, ch, lockCh);
    try (FileLock lock = lockCh.lock()) {
      l.reload();
      if (!Files.exists(dir.resolve(HEAD))) {
        l.writeHead();
      }
    } catch (IOException | VerificationException | RuntimeException e) {
      l.close();
      throw e;
    }
    return l;
  }

  /** Re-reads the entries written so far (by this or another process) to rebuild the tree. */
  private void reload() throws IOException, VerificationException {
    long length = channel.size();
    // An entry that a crash cut short was never acknowledged: drop it.
    long complete = LedgerReader.completeLength(channel, length);
    if (complete < length) {
      channel.truncate(complete);
      channel.force(true);
      length = complete;
    }
    MerkleHasher t = new MerkleHasher();
    byte[][] chainBox = {new byte[32]};
    LedgerReader.scan(
        dir.resolve(ENTRIES),
        (index, line, event, leaf, h) -> {
          byte[] expect = chainHash(chainBox[0], leaf);
          if (!MessageDigest.isEqual(expect, h)) {
            throw new VerificationException(
                "ledger entry " + index + ": chain hash does not match its content");
          }
          t.append(leaf);
          chainBox[0] = h;
        });
    tree = t;
    chain = chainBox[0];
    knownLength = length;
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
   */
  public synchronized long append(Event event) {
    try (FileLock lock = lockChannel.lock()) {
      if (channel.size() != knownLength) {
        reload();
      }
      long index = tree.size();
      byte[] eventBytes = Json.canonical(event.toJson());
      byte[] leaf = MerkleHasher.leafHash(eventBytes);
      byte[] h = chainHash(chain, leaf);
      ObjectNode line = Json.object();
      line.put("i", index);
      line.set("event", event.toJson());
      line.put("h", HexFormat.of().formatHex(h));
      byte[] bytes = (Json.canonicalString(line) + "\n").getBytes(StandardCharsets.UTF_8);
      ByteBuffer buf = ByteBuffer.wrap(bytes);
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
      throw new IllegalStateException("the ledger in " + dir + " changed under us: "
          + e.getMessage(), e);
    }
  }

  private void writeHead() throws IOException {
    ObjectNode body = headBody(tree.size(), chain, tree.root(), Instant.now());
    byte[] sig = signer.sign(Json.canonical(body));
    ObjectNode head = body.deepCopy();
    head.put("keyid", signer.identity().keyId());
    head.put("signature", Base64.getEncoder().encodeToString(sig));
    AtomicFiles.write(dir.resolve(HEAD), Json.canonical(head));
  }

  static ObjectNode headBody(long size, byte[] chain, byte[] root, Instant time) {
    ObjectNode body = Json.object();
    body.put("origin", "bastion-ledger/v1");
    body.put("size", size);
    body.put("chain", HexFormat.of().formatHex(chain));
    body.put("root", Base64.getEncoder().encodeToString(root));
    body.put("time", time.toString());
    return body;
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
    try {
      channel.close();
    } finally {
      lockChannel.close();
    }
  }
}
