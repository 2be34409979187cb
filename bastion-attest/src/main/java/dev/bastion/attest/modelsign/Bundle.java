package dev.bastion.attest.modelsign;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A Sigstore bundle (v0.3, JSON) holding a DSSE envelope: the file an OMS model signature is.
 *
 * <p>Parsing checks structure only, within explicit limits (size, nesting depth, number of
 * signatures and certificates); it decides nothing about trust. The payload is kept as the exact
 * decoded bytes, which are what the signature covers; nothing is re-serialised before verifying.
 */
public final class Bundle {
  /** The media type Bastion writes. */
  public static final String MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

  /** The Sigstore spellings of bundle format 0.3, the only format OMS defines. */
  static final Set<String> ACCEPTED_MEDIA_TYPES =
      Set.of(MEDIA_TYPE, "application/vnd.dev.sigstore.bundle+json;version=0.3");

  /** The DSSE payload type of in-toto statements. */
  public static final String IN_TOTO = "application/vnd.in-toto+json";

  /** Limits on bundles read: a model of a million files fits well below these. */
  public static final int MAX_BYTES = 64 << 20;

  public static final int MAX_DEPTH = 32;
  public static final int MAX_SIGNATURES = 16;
  public static final int MAX_CERTIFICATES = 10;
  static final int MAX_TLOG_ENTRIES = 64;

  private static final ObjectMapper MAPPER = Json.newMapper(MAX_DEPTH, MAX_BYTES);

  /** What the bundle says about the key that signed it. */
  public sealed interface Material permits PublicKeyRef, CertificateChain, Keyless {}

  /**
   * The key method: an identifier of a public key the verifier must already have.
   *
   * @param hint hex SHA-256 of the key's PEM (bundles from v1.1.0 on)
   * @param rawBytes the key itself, as older producers wrote it (PEM text or DER)
   */
  public record PublicKeyRef(Optional<String> hint, Optional<Blob> rawBytes) implements Material {
    public PublicKeyRef {
      Objects.requireNonNull(hint);
      Objects.requireNonNull(rawBytes);
    }
  }

  /**
   * The certificate method: the signing certificate first, then the chain above it.
   *
   * @param certificates 1 to {@link #MAX_CERTIFICATES} certificates
   */
  public record CertificateChain(List<X509Certificate> certificates) implements Material {
    public CertificateChain {
      certificates = List.copyOf(certificates);
      if (certificates.isEmpty()) {
        throw new IllegalArgumentException("a certificate chain has a signing certificate");
      }
    }
  }

  /**
   * Sigstore keyless signing: a short-lived Fulcio certificate and transparency-log entries.
   *
   * @param certificate the DER certificate
   * @param tlogEntries how many log entries the bundle carries
   */
  public record Keyless(Blob certificate, int tlogEntries) implements Material {}

  /** Immutable bytes, for record components. */
  public record Blob(byte[] bytes) {
    public Blob {
      bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
      return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Blob b && java.util.Arrays.equals(bytes, b.bytes);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return "Blob[" + bytes.length + " bytes]";
    }
  }

  private final String mediaType;
  private final Material material;
  private final String payloadType;
  private final byte[] payload;
  private final List<Blob> signatures;

  Bundle(
      String mediaType, Material material, String payloadType, byte[] payload, List<Blob> sigs) {
    this.mediaType = Objects.requireNonNull(mediaType);
    this.material = Objects.requireNonNull(material);
    this.payloadType = Objects.requireNonNull(payloadType);
    this.payload = payload.clone();
    this.signatures = List.copyOf(sigs);
    if (signatures.isEmpty() || signatures.size() > MAX_SIGNATURES) {
      throw new IllegalArgumentException("a bundle has 1 to " + MAX_SIGNATURES + " signatures");
    }
  }

  public String mediaType() {
    return mediaType;
  }

  public Material material() {
    return material;
  }

  public String payloadType() {
    return payloadType;
  }

  /** The exact signed payload bytes (a copy). */
  public byte[] payload() {
    return payload.clone();
  }

  /** The DER signatures. */
  public List<Blob> signatures() {
    return signatures;
  }

  /** The JSON form written to disk. */
  public byte[] toJson() {
    ObjectNode root = Json.object();
    root.put("mediaType", mediaType);
    ObjectNode vm = root.putObject("verificationMaterial");
    Base64.Encoder b64 = Base64.getEncoder();
    switch (material) {
      case PublicKeyRef k -> {
        ObjectNode pk = vm.putObject("publicKey");
        k.hint().ifPresent(h -> pk.put("hint", h));
        k.rawBytes().ifPresent(r -> pk.put("rawBytes", b64.encodeToString(r.bytes())));
        vm.putArray("tlogEntries");
      }
      case CertificateChain c -> {
        ArrayNode certs = vm.putObject("x509CertificateChain").putArray("certificates");
        for (X509Certificate cert : c.certificates()) {
          try {
            certs.addObject().put("rawBytes", b64.encodeToString(cert.getEncoded()));
          } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a parsed certificate always encodes", e);
          }
        }
        vm.putArray("tlogEntries");
      }
      case Keyless k -> throw new IllegalStateException("Bastion does not write keyless bundles");
    }
    ObjectNode env = root.putObject("dsseEnvelope");
    env.put("payload", b64.encodeToString(payload));
    env.put("payloadType", payloadType);
    ArrayNode sigs = env.putArray("signatures");
    for (Blob s : signatures) {
      ObjectNode so = sigs.addObject();
      so.put("sig", b64.encodeToString(s.bytes()));
      so.put("keyid", "");
    }
    return Json.canonical(root);
  }

  /**
   * Parses a bundle's JSON.
   *
   * @throws BadInputException if it is not a Sigstore bundle with a DSSE envelope within the
   *     limits
   */
  public static Bundle parse(byte[] json) throws BadInputException {
    if (json.length == 0) {
      throw new BadInputException("bundle: empty file");
    }
    if (json.length > MAX_BYTES) {
      throw new BadInputException("bundle: larger than " + MAX_BYTES + " bytes");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new BadInputException(
          "bundle: not valid JSON" + Json.where(e) + ": " + Json.describe(e), e);
    } catch (IOException e) {
      throw new BadInputException("bundle: cannot read: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new BadInputException("bundle: not a JSON object");
    }
    onlyFields(root, "bundle", "mediaType", "verificationMaterial", "dsseEnvelope");
    String mediaType = text(root, "mediaType", "bundle");
    Material material = material(object(root, "verificationMaterial", "bundle"));
    JsonNode env = object(root, "dsseEnvelope", "bundle");
    onlyFields(env, "dsseEnvelope", "payload", "payloadType", "signatures");
    byte[] payload = base64(text(env, "payload", "dsseEnvelope"), "dsseEnvelope.payload");
    String payloadType = text(env, "payloadType", "dsseEnvelope");
    JsonNode sigs = env.get("signatures");
    if (sigs == null || !sigs.isArray() || sigs.isEmpty() || sigs.size() > MAX_SIGNATURES) {
      throw new BadInputException(
          "dsseEnvelope.signatures: must be an array of 1 to " + MAX_SIGNATURES + " signatures");
    }
    List<Blob> list = new ArrayList<>();
    for (JsonNode s : sigs) {
      if (!s.isObject()) {
        throw new BadInputException("dsseEnvelope.signatures: each signature is an object");
      }
      onlyFields(s, "signature", "sig", "keyid");
      // keyid is optional in DSSE and unused by OMS: absent, null, "" or any string is accepted.
      JsonNode keyId = s.get("keyid");
      if (keyId != null && !keyId.isNull() && !keyId.isTextual()) {
        throw new BadInputException("dsseEnvelope.signatures.keyid: must be a string or null");
      }
      byte[] sig = base64(text(s, "sig", "signature"), "dsseEnvelope.signatures.sig");
      if (sig.length == 0) {
        throw new BadInputException("dsseEnvelope.signatures.sig: empty");
      }
      list.add(new Blob(sig));
    }
    return new Bundle(mediaType, material, payloadType, payload, list);
  }

  private static Material material(JsonNode vm) throws BadInputException {
    onlyFields(
        vm,
        "verificationMaterial",
        "publicKey",
        "x509CertificateChain",
        "certificate",
        "tlogEntries",
        "timestampVerificationData");
    int kinds = 0;
    for (String f : List.of("publicKey", "x509CertificateChain", "certificate")) {
      if (vm.has(f)) {
        kinds++;
      }
    }
    if (kinds != 1) {
      throw new BadInputException(
          "verificationMaterial: must hold exactly one of publicKey, x509CertificateChain,"
              + " certificate");
    }
    JsonNode tlog = vm.get("tlogEntries");
    int tlogEntries = 0;
    if (tlog != null && !tlog.isNull()) {
      if (!tlog.isArray() || tlog.size() > MAX_TLOG_ENTRIES) {
        throw new BadInputException(
            "verificationMaterial.tlogEntries: must be an array of at most " + MAX_TLOG_ENTRIES);
      }
      tlogEntries = tlog.size();
    }
    if (vm.has("publicKey")) {
      JsonNode pk = object(vm, "publicKey", "verificationMaterial");
      Optional<String> hint = Optional.empty();
      JsonNode h = pk.get("hint");
      if (h != null && !h.isNull()) {
        if (!h.isTextual()) {
          throw new BadInputException("verificationMaterial.publicKey.hint: must be a string");
        }
        hint = Optional.of(h.asText());
      }
      Optional<Blob> raw = Optional.empty();
      JsonNode r = pk.get("rawBytes");
      if (r != null && !r.isNull()) {
        if (!r.isTextual()) {
          throw new BadInputException("verificationMaterial.publicKey.rawBytes: must be a string");
        }
        raw = Optional.of(new Blob(base64(r.asText(), "verificationMaterial.publicKey.rawBytes")));
      }
      return new PublicKeyRef(hint, raw);
    }
    if (vm.has("x509CertificateChain")) {
      JsonNode chain = object(vm, "x509CertificateChain", "verificationMaterial");
      JsonNode certs = chain.get("certificates");
      if (certs == null || !certs.isArray() || certs.isEmpty() || certs.size() > MAX_CERTIFICATES) {
        throw new BadInputException(
            "verificationMaterial.x509CertificateChain.certificates: must be an array of 1 to "
                + MAX_CERTIFICATES);
      }
      List<X509Certificate> list = new ArrayList<>();
      for (JsonNode c : certs) {
        if (!c.isObject()) {
          throw new BadInputException("x509CertificateChain.certificates: each is an object");
        }
        String where = "x509CertificateChain.certificates[" + list.size() + "]";
        list.add(Keys.certificate(base64(text(c, "rawBytes", where), where), where));
      }
      return new CertificateChain(list);
    }
    JsonNode cert = object(vm, "certificate", "verificationMaterial");
    return new Keyless(
        new Blob(base64(text(cert, "rawBytes", "certificate"), "certificate.rawBytes")),
        tlogEntries);
  }

  /** Refuses members other than {@code allowed}: an unknown member could change the meaning. */
  private static void onlyFields(JsonNode o, String where, String... allowed)
      throws BadInputException {
    Set<String> ok = Set.of(allowed);
    for (Map.Entry<String, JsonNode> e : o.properties()) {
      String name = e.getKey();
      if (!ok.contains(name)) {
        throw new BadInputException(where + ": unexpected member '" + abbreviate(name) + "'");
      }
    }
  }

  private static JsonNode object(JsonNode o, String field, String where) throws BadInputException {
    JsonNode v = o.get(field);
    if (v == null || !v.isObject()) {
      throw new BadInputException(where + ": '" + field + "' must be an object");
    }
    return v;
  }

  private static String text(JsonNode o, String field, String where) throws BadInputException {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual()) {
      throw new BadInputException(where + ": '" + field + "' must be a string");
    }
    return v.asText();
  }

  /** Standard base64 (as Sigstore writes), or the URL-safe alphabet DSSE also allows. */
  static byte[] base64(String s, String where) throws BadInputException {
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      try {
        return Base64.getUrlDecoder().decode(s);
      } catch (IllegalArgumentException e2) {
        throw new BadInputException(where + ": not base64", e);
      }
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }

  @Override
  public String toString() {
    return "Bundle[" + mediaType + ", " + material.getClass().getSimpleName() + ", "
        + payload.length + " payload bytes, " + signatures.size() + " signature(s)]";
  }
}
