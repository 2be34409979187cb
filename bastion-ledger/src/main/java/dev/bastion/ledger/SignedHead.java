package dev.bastion.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Signer;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeSet;

/**
 * The ledger's signed head ({@code head.json}): size, the last chain hash and the RFC 9162 root,
 * signed by the {@code ledger} identity over the canonical JSON of the unsigned fields. Read
 * strictly: the file must be exactly the canonical JSON of its fields, so no byte can change
 * without failing.
 */
record SignedHead(long size, byte[] chain, byte[] root, Instant time, String keyId, byte[] sig) {
  static final String ORIGIN = "bastion-ledger/v1";
  private static final Set<String> FIELDS =
      new TreeSet<>(Set.of("origin", "size", "chain", "root", "time", "keyid", "signature"));

  static SignedHead sign(long size, byte[] chain, byte[] root, Signer signer) {
    Instant now = Instant.now();
    byte[] sig = signer.sign(Json.canonical(body(size, chain, root, now)));
    return new SignedHead(size, chain, root, now, signer.identity().keyId(), sig);
  }

  static ObjectNode body(long size, byte[] chain, byte[] root, Instant time) {
    ObjectNode body = Json.object();
    body.put("origin", ORIGIN);
    body.put("size", size);
    body.put("chain", HexFormat.of().formatHex(chain));
    body.put("root", Base64.getEncoder().encodeToString(root));
    body.put("time", time.toString());
    return body;
  }

  /** The bytes that were signed. */
  byte[] signedBytes() {
    return Json.canonical(body(size, chain, root, time));
  }

  /** The file's bytes. */
  byte[] toBytes() {
    ObjectNode o = body(size, chain, root, time);
    o.put("keyid", keyId);
    o.put("signature", Base64.getEncoder().encodeToString(sig));
    return Json.canonical(o);
  }

  /**
   * Parses a head file strictly.
   *
   * @throws VerificationException if it is not exactly a canonical head
   */
  static SignedHead parse(byte[] bytes, String where) throws VerificationException {
    JsonNode o;
    try {
      o = Json.parse(bytes, where);
    } catch (BadInputException e) {
      throw new VerificationException(where + ": malformed head: " + e.getMessage(), e);
    }
    Set<String> names = new TreeSet<>();
    o.properties().forEach(e -> names.add(e.getKey()));
    if (!o.isObject() || !names.equals(FIELDS)) {
      throw new VerificationException(where + ": malformed head: fields are " + names);
    }
    if (!ORIGIN.equals(o.path("origin").asText()) || !o.path("origin").isTextual()) {
      throw new VerificationException(where + ": head of unknown origin");
    }
    SignedHead h;
    try {
      JsonNode size = o.get("size");
      if (!size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
        throw new IllegalArgumentException("size");
      }
      h =
          new SignedHead(
              size.asLong(),
              HexFormat.of().parseHex(o.get("chain").asText()),
              Base64.getDecoder().decode(o.get("root").asText()),
              Instant.parse(o.get("time").asText()),
              o.get("keyid").asText(),
              Base64.getDecoder().decode(o.get("signature").asText()));
    } catch (RuntimeException e) {
      throw new VerificationException(where + ": malformed head", e);
    }
    if (h.chain.length != 32 || h.root.length != 32) {
      throw new VerificationException(where + ": malformed head: hashes must be 32 bytes");
    }
    if (!MessageDigest.isEqual(h.toBytes(), bytes)) {
      throw new VerificationException(where + ": head is not in canonical form");
    }
    return h;
  }
}
