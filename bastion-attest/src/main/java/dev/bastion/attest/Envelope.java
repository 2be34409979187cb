package dev.bastion.attest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Identity;
import dev.bastion.crypto.Signer;
import dev.bastion.crypto.Trust;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * A DSSE envelope (Dead Simple Signing Envelope, v1): a payload, its type, and signatures over the
 * pre-authentication encoding {@code PAE(type, payload)}. Verification works on the exact payload
 * bytes, never on re-serialised JSON.
 *
 * @param payloadType the media type of the payload
 * @param payload the exact payload bytes
 * @param signatures one or more signatures
 */
public record Envelope(String payloadType, byte[] payload, List<Sig> signatures) {
  /** The payload type of in-toto statements. */
  public static final String IN_TOTO = "application/vnd.in-toto+json";

  /** Limits on envelopes read from disk or the network. */
  public static final int MAX_SIGNATURES = 16;

  /**
   * One signature.
   *
   * @param keyId hex SHA-256 of the signer's SubjectPublicKeyInfo
   * @param sig the DER ECDSA signature
   */
  public record Sig(String keyId, byte[] sig) {
    public Sig {
      Objects.requireNonNull(keyId);
      sig = sig.clone();
    }

    @Override
    public byte[] sig() {
      return sig.clone();
    }
  }

  public Envelope {
    Objects.requireNonNull(payloadType);
    payload = payload.clone();
    signatures = List.copyOf(signatures);
  }

  @Override
  public byte[] payload() {
    return payload.clone();
  }

  /** DSSE v1 pre-authentication encoding. */
  public static byte[] pae(String payloadType, byte[] payload) {
    byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
    String head = "DSSEv1 " + type.length + " " + payloadType + " " + payload.length + " ";
    byte[] h = head.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[h.length + payload.length];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(payload, 0, out, h.length, payload.length);
    return out;
  }

  /** Signs {@code payload} as {@code payloadType}. */
  public static Envelope sign(String payloadType, byte[] payload, Signer signer) {
    byte[] sig = signer.sign(pae(payloadType, payload));
    return new Envelope(payloadType, payload, List.of(new Sig(signer.identity().keyId(), sig)));
  }

  /**
   * Verifies that a signature by {@code expectedSigner}, issued by the trusted CA, covers this
   * envelope.
   *
   * @return the signer's identity
   * @throws VerificationException if no signature by that identity verifies
   */
  public Identity verify(Trust trust, String expectedSigner) throws VerificationException {
    if (signatures.isEmpty()) {
      throw new VerificationException("envelope has no signature");
    }
    byte[] pae = pae(payloadType, payload);
    VerificationException last = null;
    for (Sig s : signatures) {
      try {
        return trust.verify(s.keyId(), pae, s.sig, expectedSigner);
      } catch (VerificationException e) {
        last = e;
      }
    }
    throw last;
  }

  /** The JSON form: {@code {"payload": b64, "payloadType": ..., "signatures": [{keyid, sig}]}}. */
  public byte[] toJson() {
    ObjectNode o = Json.object();
    o.put("payload", Base64.getEncoder().encodeToString(payload));
    o.put("payloadType", payloadType);
    ArrayNode sigs = o.putArray("signatures");
    for (Sig s : signatures) {
      ObjectNode so = sigs.addObject();
      so.put("keyid", s.keyId());
      so.put("sig", Base64.getEncoder().encodeToString(s.sig));
    }
    return Json.canonical(o);
  }

  /**
   * Parses the JSON form.
   *
   * @throws BadInputException if it is not a DSSE envelope
   */
  public static Envelope parse(byte[] json, String where) throws BadInputException {
    JsonNode o = Json.parse(json, where);
    if (!o.isObject()) {
      throw new BadInputException(where + ": a DSSE envelope is a JSON object");
    }
    String type = Json.requireText(o, "payloadType", where);
    byte[] payload = base64(Json.requireText(o, "payload", where), where + ": payload");
    JsonNode sigs = o.get("signatures");
    if (sigs == null || !sigs.isArray() || sigs.isEmpty() || sigs.size() > MAX_SIGNATURES) {
      throw new BadInputException(
          where + ": 'signatures' must be an array of 1 to " + MAX_SIGNATURES + " signatures");
    }
    List<Sig> list = new ArrayList<>();
    for (JsonNode s : sigs) {
      JsonNode keyId = s.get("keyid");
      String kid = keyId == null || keyId.isNull() ? "" : keyId.asText();
      list.add(new Sig(kid, base64(Json.requireText(s, "sig", where), where + ": sig")));
    }
    return new Envelope(type, payload, list);
  }

  private static byte[] base64(String s, String where) throws BadInputException {
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(where + " is not base64", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Envelope e && java.util.Arrays.equals(toJson(), e.toJson());
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(toJson());
  }

  @Override
  public String toString() {
    return "Envelope[" + payloadType + ", " + payload.length + " bytes, " + signatures.size()
        + " signature(s)]";
  }
}
