package dev.bastion.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Trust;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/** Checks a ledger offline, from its files and the deployment's public certificates. */
public final class LedgerVerifier {
  /**
   * What a successful verification established.
   *
   * @param size the number of entries the signed head covers, all verified
   * @param root the RFC 9162 root over them, base64
   * @param uncovered well-chained entries appended after the head was signed (an append in
   *     progress, or one cut short by a crash before its head was written); the next append's head
   *     covers them
   */
  public record Result(long size, String root, long uncovered) {}

  private LedgerVerifier() {}

  /**
   * Recomputes every entry's chain hash and the Merkle root, and checks them against the head
   * signed by the ledger's identity.
   *
   * @throws VerificationException naming the first bad entry, or the head, when anything differs
   */
  public static Result verify(Path dir, Trust trust) throws IOException, VerificationException {
    Path headFile = dir.resolve(Ledger.HEAD);
    if (!Files.exists(headFile)) {
      throw new VerificationException(headFile + ": no signed head; the ledger is missing");
    }
    JsonNode head;
    try {
      head = Json.parse(Files.readAllBytes(headFile), headFile.toString());
    } catch (BadInputException e) {
      throw new VerificationException(e.getMessage(), e);
    }
    long size;
    byte[] chain;
    byte[] root;
    Instant time;
    byte[] sig;
    try {
      size = head.path("size").asLong(-1);
      chain = HexFormat.of().parseHex(head.path("chain").asText());
      root = Base64.getDecoder().decode(head.path("root").asText());
      time = Instant.parse(head.path("time").asText());
      sig = Base64.getDecoder().decode(head.path("signature").asText());
    } catch (RuntimeException e) {
      throw new VerificationException(headFile + ": malformed head", e);
    }
    if (size < 0 || chain.length != 32 || root.length != 32) {
      throw new VerificationException(headFile + ": malformed head");
    }
    ObjectNode body = Ledger.headBody(size, chain, root, time);
    if (!"bastion-ledger/v1".equals(head.path("origin").asText())) {
      throw new VerificationException(headFile + ": unknown origin");
    }
    try {
      trust.verify(head.path("keyid").asText(), Json.canonical(body), sig, Ledger.SIGNER);
    } catch (VerificationException e) {
      throw new VerificationException("ledger head: " + e.getMessage(), e);
    }

    MerkleHasher tree = new MerkleHasher();
    byte[][] prev = {new byte[32]};
    byte[][] atHead = {size == 0 ? new byte[32] : null};
    byte[][] rootAtHead = {size == 0 ? MerkleHasher.emptyRoot() : null};
    LedgerReader.scan(
        dir.resolve(Ledger.ENTRIES),
        (index, line, event, leaf, h) -> {
          byte[] expect = Ledger.chainHash(prev[0], leaf);
          if (!MessageDigest.isEqual(expect, h)) {
            throw new VerificationException(
                "ledger entry " + index + " (line " + (index + 1)
                    + "): content does not match its chain hash");
          }
          tree.append(leaf);
          prev[0] = h;
          if (tree.size() == size) {
            atHead[0] = h;
            rootAtHead[0] = tree.root();
          }
        });
    if (tree.size() < size) {
      throw new VerificationException(
          "ledger entry " + tree.size() + ": missing; the signed head covers " + size
              + " entries but only " + tree.size() + " are present");
    }
    if (!MessageDigest.isEqual(atHead[0], chain)) {
      throw new VerificationException("ledger head: chain hash does not match the entries");
    }
    if (!MessageDigest.isEqual(rootAtHead[0], root)) {
      throw new VerificationException("ledger head: Merkle root does not match the entries");
    }
    return new Result(size, Base64.getEncoder().encodeToString(root), tree.size() - size);
  }

  /** Every event in the ledger, in order, after checking the file's shape. */
  public static List<Event> events(Path dir) throws IOException, VerificationException {
    return LedgerReader.readAll(dir.resolve(Ledger.ENTRIES));
  }
}
