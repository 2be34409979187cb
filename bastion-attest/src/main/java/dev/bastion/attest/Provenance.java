package dev.bastion.attest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An SLSA provenance v1 predicate for a stage output: {@code buildDefinition.buildType} the
 * Bastion stage build type, {@code externalParameters} the stage and the pipeline's inputs, {@code
 * internalParameters} the stage's own settings (hyper-parameters, tokenisation) and the JVM,
 * {@code resolvedDependencies} the input artifacts by digest, {@code runDetails.builder.id} the
 * component identity that signed it, {@code metadata} the run and its times.
 */
public final class Provenance {
  public static final String PREDICATE_TYPE = "https://slsa.dev/provenance/v1";

  /** The build type of every Bastion stage; the stage name is an external parameter. */
  public static final String BUILD_TYPE = "urn:bastion:build-type:stage:v1";

  private final String stage;
  private final String runId;
  private final Map<String, Digest> inputs = new LinkedHashMap<>();
  private final ObjectNode parameters = Json.object();
  private final ObjectNode internal = Json.object();
  private String builder;
  private Instant startedOn = Instant.now();
  private Instant finishedOn = Instant.now();

  private Provenance(String stage, String runId) {
    this.stage = Objects.requireNonNull(stage);
    this.runId = Objects.requireNonNull(runId);
    this.builder = stage;
  }

  /** The component identity that runs the stage and signs its output. */
  public Provenance builder(String component) {
    builder = Objects.requireNonNull(component);
    return this;
  }

  /** Adds an internal parameter: a setting of the stage itself, such as a hyper-parameter. */
  public Provenance internal(String name, JsonNode value) {
    internal.set(name, value);
    return this;
  }

  public Provenance internal(String name, String value) {
    internal.put(name, value);
    return this;
  }

  public static Provenance stage(String stage, String runId) {
    return new Provenance(stage, runId);
  }

  /** Adds an input artifact. */
  public Provenance input(String name, Digest digest) {
    inputs.put(name, digest);
    return this;
  }

  /** Adds an external parameter: an input of the pipeline (its definition, file names). */
  public Provenance parameter(String name, JsonNode value) {
    parameters.set(name, value);
    return this;
  }

  public Provenance parameter(String name, String value) {
    parameters.put(name, value);
    return this;
  }

  public Provenance started(Instant t) {
    startedOn = t;
    return this;
  }

  public Provenance finished(Instant t) {
    finishedOn = t;
    return this;
  }

  /** The predicate JSON. */
  public JsonNode toPredicate() {
    ObjectNode p = Json.object();
    ObjectNode def = p.putObject("buildDefinition");
    def.put("buildType", BUILD_TYPE);
    ObjectNode ext = def.putObject("externalParameters");
    ext.put("stage", stage);
    ext.set("parameters", parameters.deepCopy());
    ObjectNode in = def.putObject("internalParameters");
    in.setAll(internal.deepCopy());
    in.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version());
    in.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    ArrayNode deps = def.putArray("resolvedDependencies");
    inputs.forEach(
        (name, d) -> {
          ObjectNode o = deps.addObject();
          o.put("name", name);
          o.putObject("digest").put(Digest.ALGORITHM, d.hex());
        });
    ObjectNode run = p.putObject("runDetails");
    ObjectNode builderNode = run.putObject("builder");
    builderNode.put("id", "urn:bastion:component:" + builder);
    builderNode.putObject("version").put("bastion", BastionVersion.get());
    ObjectNode meta = run.putObject("metadata");
    meta.put("invocationId", runId);
    meta.put("startedOn", startedOn.toString());
    meta.put("finishedOn", finishedOn.toString());
    return p;
  }

  /**
   * The inputs named in a provenance predicate.
   *
   * @throws VerificationException if the predicate does not have the SLSA v1 shape
   */
  public static Map<String, Digest> inputsOf(JsonNode predicate) throws VerificationException {
    JsonNode deps = predicate.path("buildDefinition").path("resolvedDependencies");
    if (!deps.isArray()) {
      throw new VerificationException("provenance has no resolvedDependencies");
    }
    Map<String, Digest> out = new LinkedHashMap<>();
    for (JsonNode d : deps) {
      try {
        out.put(d.path("name").asText(), Digest.parse(d.path("digest").path("sha256").asText()));
      } catch (IllegalArgumentException e) {
        throw new VerificationException("provenance dependency without a sha256 digest", e);
      }
    }
    return out;
  }

  /** The component named as builder in a provenance predicate. */
  public static String builderOf(JsonNode predicate) {
    String id = predicate.path("runDetails").path("builder").path("id").asText();
    return id.startsWith("urn:bastion:component:")
        ? id.substring("urn:bastion:component:".length())
        : "";
  }

  /** The stage named in a provenance predicate. */
  public static String stageOf(JsonNode predicate) {
    return predicate.path("buildDefinition").path("externalParameters").path("stage").asText();
  }
}
