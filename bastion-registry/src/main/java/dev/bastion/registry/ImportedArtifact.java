package dev.bastion.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The stored form of an imported model, read without running it: the line {@value #FORMAT}, a
 * 4-byte big-endian header length, the header (canonical JSON: at least {@code "format"} and
 * {@code "file"}, the SHA-256 of the imported file), then the imported file's bytes unchanged.
 * Binary, so that a model needs no base64 and no size limit of a JSON string.
 *
 * <p>{@link ChainVerifier} reads it to hold an {@link ImportChain}'s model to the file its import
 * provenance names; the serving side reads the rest of the header.
 *
 * @param header the header, its {@code "file"} checked against {@code file}
 * @param file the imported file's bytes
 */
public record ImportedArtifact(JsonNode header, byte[] file) {
  public static final String FORMAT = "bastion-onnx-model/v1";
  private static final byte[] MAGIC = (FORMAT + "\n").getBytes(StandardCharsets.US_ASCII);

  /** The largest header read or written. */
  public static final int MAX_HEADER_BYTES = 64 << 20;

  /** The imported file's digest, as its bytes give it. */
  public Digest fileDigest() {
    return Digest.of(file);
  }

  /** Whether {@code bytes} start as this format does, before any parsing. */
  public static boolean is(byte[] bytes) {
    return bytes.length >= MAGIC.length
        && Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
  }

  /**
   * The stored form of {@code header} (its {@code "format"} and {@code "file"} are set here) and
   * {@code file}.
   *
   * @throws BadInputException if the header would be larger than {@link #MAX_HEADER_BYTES}
   */
  public static byte[] pack(ObjectNode header, byte[] file) throws BadInputException {
    header.put("format", FORMAT);
    header.put("file", Digest.of(file).toString());
    byte[] h = Json.canonical(header);
    if (h.length > MAX_HEADER_BYTES) {
      throw new BadInputException("the model's header would be " + h.length
          + " bytes; at most " + MAX_HEADER_BYTES + " are stored");
    }
    return ByteBuffer.allocate(MAGIC.length + 4 + h.length + file.length)
        .put(MAGIC).putInt(h.length).put(h).put(file).array();
  }

  /**
   * Reads the stored form and checks that the file inside is the one its header names.
   *
   * @throws BadInputException with one line naming what is wrong, for any bytes
   */
  public static ImportedArtifact parse(byte[] bytes, String where) throws BadInputException {
    if (!is(bytes)) {
      throw new BadInputException(where + ": not a " + FORMAT + " model");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, MAGIC.length, bytes.length - MAGIC.length);
    if (b.remaining() < 4) {
      throw new BadInputException(where + ": ends before its header");
    }
    int length = b.getInt();
    if (length < 2 || length > MAX_HEADER_BYTES || length > b.remaining()) {
      throw new BadInputException(where + ": header length " + Integer.toUnsignedString(length)
          + " does not fit the " + bytes.length + " bytes");
    }
    JsonNode h = Json.parse(Arrays.copyOfRange(bytes, b.position(), b.position() + length),
        where + " header");
    byte[] file = Arrays.copyOfRange(bytes, b.position() + length, bytes.length);
    if (!h.isObject() || !FORMAT.equals(h.path("format").asText())) {
      throw new BadInputException(where + ": header is not a " + FORMAT + " header");
    }
    if (!Digest.of(file).toString().equals(h.path("file").asText())) {
      throw new BadInputException(where + ": the imported file inside is not the one its header"
          + " names");
    }
    return new ImportedArtifact(h, file);
  }
}
