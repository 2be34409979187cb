package dev.bastion.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.InputFiles;
import dev.bastion.train.TrainParams;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A pipeline definition (YAML): the data, its schema, the columns to protect, the training
 * parameters and the model's registered name. Paths are relative to the definition file.
 *
 * @param file the definition file
 * @param digest SHA-256 of its bytes (recorded in every provenance)
 * @param name the pipeline's name
 * @param data the CSV file
 * @param schema the schema file
 * @param protect columns tokenised at ingestion (besides those the schema declares {@code
 *     tokenise})
 * @param purpose what the pipeline uses the data for: rows whose consent column does not list it
 *     never reach training; empty when not declared (then a data set with a consent column is
 *     refused)
 * @param train training parameters
 * @param modelName the name the model is registered under
 */
public record PipelineDefinition(
    Path file,
    Digest digest,
    String name,
    Path data,
    Path schema,
    List<String> protect,
    String purpose,
    TrainParams train,
    String modelName) {

  public PipelineDefinition {
    protect = List.copyOf(protect);
    Objects.requireNonNull(purpose);
  }

  /**
   * The YAML parser's message on one line: its statements, without the quoted source lines and
   * position markers it puts under them (the position is given apart).
   */
  static String oneLine(String message) {
    String m = String.valueOf(message).replace("java.io.CharConversionException: ", "");
    String joined = m.lines().filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
        .map(String::strip).collect(java.util.stream.Collectors.joining("; "));
    return joined.isEmpty() ? "malformed" : joined;
  }

  /**
   * Reads a definition.
   *
   * @throws BadInputException naming the file and field that is missing or wrong
   */
  public static PipelineDefinition load(Path file) throws BadInputException, IOException {
    String where = file.toString();
    byte[] bytes = InputFiles.read(file, "pipeline definition", InputFiles.MAX_DOCUMENT_BYTES);
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new BadInputException(where + ": not valid YAML" + dev.bastion.core.Json.where(e)
          + ": " + oneLine(e.getOriginalMessage()), e);
    }
    if (root == null || !root.isObject()) {
      throw new BadInputException(where + ": expected a YAML mapping");
    }
    Path base = file.toAbsolutePath().getParent();
    String name = text(root, "name", where);
    Path data = base.resolve(text(root, "data", where)).normalize();
    Path schema = base.resolve(text(root, "schema", where)).normalize();
    List<String> protect = new ArrayList<>();
    JsonNode p = root.path("protect");
    if (!p.isMissingNode()) {
      if (!p.isArray()) {
        throw new BadInputException(where + ": 'protect' must be a list of column names");
      }
      p.forEach(x -> protect.add(x.asText()));
    }
    String purpose = "";
    JsonNode pu = root.get("purpose");
    if (pu != null) {
      if (!pu.isTextual() || pu.asText().isBlank() || pu.asText().contains(";")) {
        throw new BadInputException(where + ": 'purpose' must be one word naming what the data"
            + " is used for (no ';')");
      }
      purpose = pu.asText();
    }
    JsonNode train = root.path("train");
    if (!train.isObject()) {
      throw new BadInputException(where + ": 'train' section is missing");
    }
    TrainParams params = TrainParams.fromJson(train, where);
    String model = root.path("register").path("model").asText("");
    if (model.isEmpty()) {
      throw new BadInputException(where + ": 'register.model' is missing");
    }
    if (!dev.bastion.crypto.Identity.isName(model)) {
      // Refused here, before a run stores anything, not at registration.
      throw new BadInputException(where + ": register.model '" + model
          + "': use 1-63 of a-z 0-9 . _ -, starting with a letter or digit");
    }
    return new PipelineDefinition(
        file, Digest.of(bytes), name, data, schema, protect, purpose, params, model);
  }

  private static String text(JsonNode root, String field, String where) throws BadInputException {
    JsonNode v = root.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new BadInputException(where + ": '" + field + "' is missing or not a string");
    }
    return v.asText();
  }
}
