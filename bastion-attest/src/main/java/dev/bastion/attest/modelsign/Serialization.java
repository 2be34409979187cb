package dev.bastion.attest.modelsign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;

/**
 * How a model was turned into resources: the OMS predicate's {@code serialization} object.
 *
 * <p>Only SHA-256 is supported as {@code hash_type}: it is the one algorithm OMS requires, and a
 * verifier that met another one could not decide anything, so it refuses.
 *
 * @param method {@code files} (one digest per file) or {@code shards} (one per byte range)
 * @param shardSize the byte-range size for {@code shards}; 0 for {@code files}
 * @param allowSymlinks whether symbolic links inside the model were followed
 * @param ignorePaths model-relative paths left out of the manifest, as recorded
 */
public record Serialization(
    Method method, long shardSize, boolean allowSymlinks, List<String> ignorePaths) {

  /** The only digest algorithm Bastion computes and accepts for resources. */
  public static final String HASH_TYPE = "sha256";

  /** The reference implementation's default shard size (10^9 bytes). */
  public static final long DEFAULT_SHARD_SIZE = 1_000_000_000L;

  /** The serialization methods OMS v1.0 defines. */
  public enum Method {
    FILES("files"),
    SHARDS("shards");

    private final String wire;

    Method(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }

    static Method fromWire(String s) throws VerificationException {
      for (Method m : values()) {
        if (m.wire.equals(s)) {
          return m;
        }
      }
      throw new VerificationException("serialization method '" + s + "' is not files or shards");
    }
  }

  public Serialization {
    Objects.requireNonNull(method, "method");
    if (method == Method.SHARDS && shardSize <= 0) {
      throw new IllegalArgumentException("shard size must be positive, got " + shardSize);
    }
    if (method == Method.FILES && shardSize != 0) {
      throw new IllegalArgumentException("the files method has no shard size");
    }
    ignorePaths = List.copyOf(ignorePaths);
  }

  /** Serialization by whole files. */
  public static Serialization files(boolean allowSymlinks, List<String> ignorePaths) {
    return new Serialization(Method.FILES, 0, allowSymlinks, ignorePaths);
  }

  /** Serialization by byte ranges of {@code shardSize} bytes. */
  public static Serialization shards(
      long shardSize, boolean allowSymlinks, List<String> ignorePaths) {
    return new Serialization(Method.SHARDS, shardSize, allowSymlinks, ignorePaths);
  }

  /** The same serialization with other recorded ignore paths. */
  public Serialization withIgnorePaths(List<String> paths) {
    return new Serialization(method, shardSize, allowSymlinks, paths);
  }

  /** The JSON object written into the predicate. */
  ObjectNode toJson() {
    ObjectNode o = Json.object();
    o.put("method", method.wire());
    o.put("hash_type", HASH_TYPE);
    if (method == Method.SHARDS) {
      o.put("shard_size", shardSize);
    }
    o.put("allow_symlinks", allowSymlinks);
    if (!ignorePaths.isEmpty()) {
      ignorePaths.forEach(o.putArray("ignore_paths")::add);
    }
    return o;
  }

  /**
   * Reads a signed {@code serialization} object, leniently where producers differ: a shard size
   * written as {@code 8.0}, {@code allow_symlinks} as a string, and the reference
   * implementation's {@code sha256-sharded-<size>} spelling of the hash type.
   */
  static Serialization parse(JsonNode node) throws VerificationException {
    if (node == null || !node.isObject()) {
      throw new VerificationException("predicate.serialization must be an object");
    }
    Method method = Method.fromWire(text(node, "method"));
    long shardSize = 0;
    if (method == Method.SHARDS) {
      shardSize = positiveInteger(node.get("shard_size"), "serialization.shard_size");
    }
    checkAlgorithm(text(node, "hash_type"), method, shardSize, "serialization.hash_type");
    boolean allowSymlinks = lenientBoolean(node.get("allow_symlinks"));
    List<String> ignore = List.of();
    JsonNode ip = node.get("ignore_paths");
    if (ip != null && !ip.isNull()) {
      if (!ip.isArray()) {
        throw new VerificationException("serialization.ignore_paths must be an array");
      }
      java.util.ArrayList<String> list = new java.util.ArrayList<>();
      for (JsonNode e : ip) {
        if (!e.isTextual()) {
          throw new VerificationException("serialization.ignore_paths holds a non-string");
        }
        list.add(e.asText());
      }
      ignore = list;
    }
    return new Serialization(method, shardSize, allowSymlinks, ignore);
  }

  /**
   * Checks a resource's or the serialization's algorithm name: {@code sha256}, or for shards the
   * reference implementation's {@code sha256-sharded-<shard size>}.
   */
  static void checkAlgorithm(String algorithm, Method method, long shardSize, String where)
      throws VerificationException {
    if (HASH_TYPE.equals(algorithm)) {
      return;
    }
    if (method == Method.SHARDS && (HASH_TYPE + "-sharded-" + shardSize).equals(algorithm)) {
      return;
    }
    throw new VerificationException(
        where + " is '" + algorithm + "'; only sha256 is supported"
            + (method == Method.SHARDS ? " (or sha256-sharded-" + shardSize + ")" : ""));
  }

  private static String text(JsonNode node, String field) throws VerificationException {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new VerificationException("serialization." + field + " must be a string");
    }
    return v.asText();
  }

  private static boolean lenientBoolean(JsonNode v) throws VerificationException {
    if (v != null && v.isBoolean()) {
      return v.booleanValue();
    }
    if (v != null && v.isTextual() && (v.asText().equals("true") || v.asText().equals("false"))) {
      return Boolean.parseBoolean(v.asText());
    }
    throw new VerificationException("serialization.allow_symlinks must be a boolean");
  }

  /** A positive whole number, written as an integer or as a decimal with a zero fraction. */
  static long positiveInteger(JsonNode v, String where) throws VerificationException {
    if (v == null || !v.isNumber()) {
      throw new VerificationException(where + " must be a number");
    }
    BigDecimal d = v.decimalValue().stripTrailingZeros();
    if (d.signum() <= 0 || d.scale() > 0) {
      throw new VerificationException(where + " must be a positive whole number, got " + v);
    }
    try {
      return d.longValueExact();
    } catch (ArithmeticException e) {
      throw new VerificationException(where + " is too large: " + v);
    }
  }
}
