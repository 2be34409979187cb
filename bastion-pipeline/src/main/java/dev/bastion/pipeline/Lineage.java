package dev.bastion.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.attest.BastionVersion;
import dev.bastion.attest.Envelope;
import dev.bastion.attest.Provenance;
import dev.bastion.attest.Statement;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Trust;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Where an artifact came from, from the signed provenance in the store alone: for a snapshot its
 * source file (URI and digest), the pipeline and schema, the code version and parameters of the
 * transformation; for a model or a report the snapshot and every step before it. Each step is a
 * SLSA provenance attestation whose signature is checked (signed by the component it names as
 * builder) before it is used: a graph is never built from unverified statements.
 */
public final class Lineage {
  /** The OpenLineage RunEvent schema the exported events follow. */
  public static final String OPENLINEAGE_SCHEMA =
      "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";

  /**
   * One transformation: a stage of a run that made {@code output} from {@code inputs}.
   *
   * @param attestation the provenance attestation's digest
   * @param outputName what the output is ({@code snapshot}, {@code model}, {@code report})
   * @param output the artifact made
   * @param stage the stage ({@code ingest}, {@code train}, {@code evaluate})
   * @param builder the component that ran it and signed the attestation
   * @param runId the pipeline run
   * @param inputs the artifacts it read, by role
   * @param parameters its external parameters (pipeline, file names, source URI, purpose)
   * @param code the code version recorded, or empty
   * @param startedOn when it started (RFC 3339)
   * @param finishedOn when it finished (RFC 3339)
   */
  public record Step(
      Digest attestation, String outputName, Digest output, String stage, String builder,
      String runId, Map<String, Digest> inputs, JsonNode parameters, String code,
      String startedOn, String finishedOn) {
    public Step {
      inputs = Map.copyOf(new LinkedHashMap<>(inputs));
    }

    /** The source URI of the {@code data} input, for an ingest step that recorded one. */
    public String source() {
      return parameters.path("source").asText("");
    }
  }

  /**
   * The lineage of one artifact.
   *
   * @param target the artifact asked about
   * @param steps every step that made it or one of its ancestors, nearest first
   */
  public record Graph(Digest target, List<Step> steps) {
    public Graph {
      steps = List.copyOf(steps);
    }

    /** The steps that made {@code d} (several when the same bytes were made more than once). */
    public List<Step> madeBy(Digest d) {
      return steps.stream().filter(s -> s.output().equals(d)).toList();
    }
  }

  private Lineage() {}

  /**
   * The lineage of {@code target} in {@code home}: every provenance attestation recorded on the
   * ledger is read (as {@code actor}, in {@code runId}) and verified.
   *
   * @throws BadInputException if no step in the store made {@code target}
   * @throws VerificationException if an attestation does not verify
   */
  public static Graph of(Home home, Digest target, String actor, String runId)
      throws BastionException, IOException {
    Set<Digest> attestations = new LinkedHashSet<>();
    LedgerVerifier.forEachEvent(home.dir().resolve("ledger"), e -> {
      if (e.kind() == EventKind.ARTIFACT_PUT && "attestation".equals(e.details().get("kind"))) {
        attestations.add(Digest.parse(e.object()));
      }
    });
    Trust trust = home.trust();
    Map<Digest, List<Step>> byOutput = new LinkedHashMap<>();
    for (Digest a : attestations) {
      if (!home.store().contains(a)) {
        continue; // erased with its data
      }
      Step s = step(a, home.store().get(a, actor, runId), trust);
      if (s != null) {
        byOutput.computeIfAbsent(s.output(), k -> new ArrayList<>()).add(s);
      }
    }
    if (!byOutput.containsKey(target)) {
      throw new BadInputException(target + ": no signed provenance in this home names it as"
          + " an output (lineage covers snapshots, models and evaluation reports)");
    }
    List<Step> steps = new ArrayList<>();
    Deque<Digest> todo = new ArrayDeque<>(List.of(target));
    Set<Digest> seen = new LinkedHashSet<>();
    while (!todo.isEmpty()) {
      Digest d = todo.poll();
      if (!seen.add(d)) {
        continue;
      }
      for (Step s : byOutput.getOrDefault(d, List.of())) {
        steps.add(s);
        sorted(s.inputs()).forEach(in -> todo.add(in.getValue()));
      }
    }
    return new Graph(target, steps);
  }

  /** The step an attestation records, or null when it is not a stage's provenance. */
  private static Step step(Digest a, byte[] bytes, Trust trust) throws BastionException {
    String what = "attestation " + a;
    Envelope env = Envelope.parse(bytes, what);
    Statement unverified;
    try {
      unverified = Statement.parse(env.payload(), what);
    } catch (BadInputException e) {
      throw new VerificationException(e.getMessage(), e);
    }
    if (!Provenance.PREDICATE_TYPE.equals(unverified.predicateType())) {
      return null;
    }
    String builder = Provenance.builderOf(unverified.predicate());
    if (builder.isEmpty()) {
      throw new VerificationException(what + ": provenance names no Bastion component as builder");
    }
    // The builder it names must be the one that signed it.
    Statement st = Statement.verify(env, trust, builder, Provenance.PREDICATE_TYPE, what);
    JsonNode p = st.predicate();
    Map.Entry<String, Digest> subject = st.subjects().entrySet().iterator().next();
    JsonNode meta = p.path("runDetails").path("metadata");
    return new Step(a, subject.getKey(), st.onlySubject(), Provenance.stageOf(p), builder,
        meta.path("invocationId").asText(), Provenance.inputsOf(p),
        p.path("buildDefinition").path("externalParameters").path("parameters"),
        p.path("buildDefinition").path("internalParameters").path("code").asText(""),
        meta.path("startedOn").asText(), meta.path("finishedOn").asText());
  }

  /** The graph as an indented tree, the target first, each input under what was made from it. */
  public static String text(Graph g) {
    StringBuilder sb = new StringBuilder();
    tree(g, g.target(), name(g, g.target()), "", new LinkedHashSet<>(), sb);
    return sb.toString();
  }

  private static String name(Graph g, Digest d) {
    List<Step> by = g.madeBy(d);
    return by.isEmpty() ? "" : by.get(0).outputName();
  }

  private static void tree(Graph g, Digest d, String role, String indent, Set<Digest> path,
      StringBuilder sb) {
    sb.append(indent).append(role.isEmpty() ? "" : role + " ").append(d);
    List<Step> by = g.madeBy(d);
    if (by.isEmpty()) {
      sb.append('\n');
      return;
    }
    sb.append('\n');
    if (!path.add(d)) {
      sb.append(indent).append("  (cycle)\n");
      return;
    }
    for (Step s : by) {
      sb.append(indent).append("  <- ").append(s.stage()).append(" in ").append(s.runId())
          .append(", signed by ").append(s.builder()).append(", ").append(s.finishedOn());
      if (!s.code().isEmpty()) {
        sb.append(", ").append(s.code());
      }
      sb.append(" (attestation ").append(s.attestation().shortHex()).append(")\n");
      for (Map.Entry<String, Digest> in : sorted(s.inputs())) {
        if ("data".equals(in.getKey()) && !s.source().isEmpty()) {
          sb.append(indent).append("    data ").append(in.getValue()).append(" from ")
              .append(s.source()).append('\n');
        } else {
          tree(g, in.getValue(), in.getKey(), indent + "    ", path, sb);
        }
      }
    }
    path.remove(d);
  }

  private static List<Map.Entry<String, Digest>> sorted(Map<String, Digest> m) {
    return m.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList();
  }

  /** The graph in Graphviz DOT: one node per artifact or source, an edge per input. */
  public static String dot(Graph g) {
    StringBuilder sb = new StringBuilder("digraph lineage {\n  rankdir=BT;\n");
    Set<String> nodes = new LinkedHashSet<>();
    List<String> edges = new ArrayList<>();
    for (Step s : g.steps()) {
      nodes.add(node(s.output(), s.outputName()));
      for (Map.Entry<String, Digest> in : sorted(s.inputs())) {
        String label = g.madeBy(in.getValue()).isEmpty() ? in.getKey()
            : g.madeBy(in.getValue()).get(0).outputName();
        if ("data".equals(in.getKey()) && !s.source().isEmpty()) {
          label = "data\\n" + s.source();
        }
        nodes.add(node(in.getValue(), label));
        edges.add("  " + quote(in.getValue().toString()) + " -> " + quote(s.output().toString())
            + " [label=" + quote(s.stage()) + "];");
      }
    }
    nodes.forEach(n -> sb.append(n).append('\n'));
    new LinkedHashSet<>(edges).forEach(e -> sb.append(e).append('\n'));
    return sb.append("}\n").toString();
  }

  private static String node(Digest d, String label) {
    return "  " + quote(d.toString()) + " [label=" + quote(label + "\\n" + d.shortHex()) + "];";
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"') {
        sb.append("\\\"");
      } else if (c < 0x20) {
        sb.append(' ');
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  /**
   * The graph as OpenLineage run events, a START and a COMPLETE per step, oldest first: the job
   * is {@code PIPELINE.STAGE} in namespace {@code bastion}, datasets in the store are named by
   * digest, a source file by its path in namespace {@code file}. The run id is a name-based UUID
   * of the Bastion run and stage; the Bastion run id and the attestation are in a run facet.
   */
  public static List<ObjectNode> openLineage(Graph g) {
    List<Step> oldestFirst = new ArrayList<>(g.steps());
    java.util.Collections.reverse(oldestFirst);
    List<ObjectNode> out = new ArrayList<>();
    String producer = "urn:bastion:" + BastionVersion.get();
    for (Step s : oldestFirst) {
      for (String type : new String[] {"START", "COMPLETE"}) {
        ObjectNode e = Json.object();
        e.put("eventType", type);
        e.put("eventTime", type.equals("START") ? s.startedOn() : s.finishedOn());
        ObjectNode run = e.putObject("run");
        run.put("runId", UUID.nameUUIDFromBytes(
            (s.runId() + "/" + s.stage() + "/" + s.attestation()).getBytes(StandardCharsets.UTF_8))
            .toString());
        ObjectNode facet = run.putObject("facets").putObject("bastion");
        facet.put("_producer", producer);
        facet.put("_schemaURL", "urn:bastion:openlineage:run-facet:v1");
        facet.put("runId", s.runId());
        facet.put("attestation", s.attestation().toString());
        facet.put("signedBy", s.builder());
        if (!s.code().isEmpty()) {
          facet.put("code", s.code());
        }
        ObjectNode job = e.putObject("job");
        job.put("namespace", "bastion");
        String pipeline = s.parameters().path("pipeline").asText("pipeline");
        job.put("name", pipeline + "." + s.stage());
        ArrayNode inputs = e.putArray("inputs");
        for (Map.Entry<String, Digest> in : sorted(s.inputs())) {
          ObjectNode ds = inputs.addObject();
          if ("data".equals(in.getKey()) && s.source().startsWith("file:")) {
            ds.put("namespace", "file");
            ds.put("name", java.net.URI.create(s.source()).getPath());
          } else {
            ds.put("namespace", "bastion");
            ds.put("name", in.getValue().toString());
          }
          ds.putObject("facets").putObject("bastion_artifact")
              .put("_producer", producer)
              .put("_schemaURL", "urn:bastion:openlineage:dataset-facet:v1")
              .put("role", in.getKey())
              .put("digest", in.getValue().toString());
        }
        if (type.equals("COMPLETE")) {
          ObjectNode ds = e.putArray("outputs").addObject();
          ds.put("namespace", "bastion");
          ds.put("name", s.output().toString());
          ds.putObject("facets").putObject("bastion_artifact")
              .put("_producer", producer)
              .put("_schemaURL", "urn:bastion:openlineage:dataset-facet:v1")
              .put("role", s.outputName())
              .put("digest", s.output().toString());
        } else {
          e.putArray("outputs");
        }
        e.put("producer", producer);
        e.put("schemaURL", OPENLINEAGE_SCHEMA);
        out.add(e);
      }
    }
    return out;
  }
}
