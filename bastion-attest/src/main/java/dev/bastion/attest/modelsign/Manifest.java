package dev.bastion.attest.modelsign;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a model signature covers: the model's name, how it was serialized, and its resources in
 * canonical order.
 *
 * @param modelName the model directory's (or single file's) name; informational only
 * @param serialization the serialization parameters
 * @param resources the resources, each name once
 */
public record Manifest(String modelName, Serialization serialization, List<Resource> resources) {
  /** The in-toto predicate type of OMS v1.0 signatures. */
  public static final String PREDICATE_TYPE = "https://model_signing/signature/v1.0";

  /** The in-toto Statement v1 type. */
  public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";

  public Manifest {
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(serialization, "serialization");
    resources = List.copyOf(resources);
    Set<String> seen = new HashSet<>();
    for (Resource r : resources) {
      if (!seen.add(r.name())) {
        throw new IllegalArgumentException("resource '" + r.name() + "' appears twice");
      }
    }
  }

  /** The same resources in canonical order (see {@link Resource#BY_NAME}). */
  static Manifest sorted(String modelName, Serialization s, List<Resource> resources) {
    List<Resource> list = new ArrayList<>(resources);
    list.sort(s.method() == Serialization.Method.SHARDS ? Resource.BY_SHARD : Resource.BY_NAME);
    return new Manifest(modelName, s, list);
  }

  /**
   * The subject digest: SHA-256 over the resources' raw digest bytes, in the order listed. It
   * names the whole model in one value that other documents can refer to.
   */
  public Digest rootDigest() {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    for (Resource r : resources) {
      md.update(r.digest().raw());
    }
    return Digest.ofRaw(md.digest());
  }

  /** The in-toto Statement v1 carrying this manifest, as canonical JSON bytes. */
  byte[] statementJson() {
    ObjectNode st = Json.object();
    st.put("_type", STATEMENT_TYPE);
    ObjectNode subject = st.putArray("subject").addObject();
    subject.put("name", modelName);
    subject.putObject("digest").put(Digest.ALGORITHM, rootDigest().hex());
    st.put("predicateType", PREDICATE_TYPE);
    ObjectNode predicate = st.putObject("predicate");
    ArrayNode res = predicate.putArray("resources");
    for (Resource r : resources) {
      ObjectNode o = res.addObject();
      o.put("name", r.name());
      o.put("algorithm", Serialization.HASH_TYPE);
      o.put("digest", r.digest().hex());
    }
    predicate.set("serialization", serialization.toJson());
    return Json.canonical(st);
  }
}
