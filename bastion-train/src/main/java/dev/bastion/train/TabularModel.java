package dev.bastion.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.tribuo.Example;
import org.tribuo.Model;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.impl.ArrayExample;
import org.tribuo.protos.core.ModelProto;

/**
 * A trained classifier over tabular rows: the Tribuo model and the feature spec it was trained with.
 * Stored as canonical JSON holding the spec and the model in Tribuo's protobuf form (never Java
 * serialisation, which would run code while reading).
 */
public final class TabularModel implements Classifier {
  public static final String FORMAT = "bastion-tabular-model/v1";

  private final Model<Label> model;
  private final FeatureSpec spec;
  private final Optional<InputProfile> inputProfile;
  private final Optional<OutputProfile> outputProfile;

  TabularModel(Model<Label> model, FeatureSpec spec, Optional<InputProfile> inputProfile,
      Optional<OutputProfile> outputProfile) {
    this.model = model;
    this.spec = spec;
    this.inputProfile = inputProfile;
    this.outputProfile = outputProfile;
  }

  /** The same model with its evaluation baseline. */
  TabularModel withOutputProfile(OutputProfile profile) {
    return new TabularModel(model, spec, inputProfile, Optional.of(profile));
  }

  /**
   * What its predictions looked like on the holdout split, for the gateway's behaviour monitor;
   * absent in models trained before it was kept.
   */
  @Override
  public Optional<OutputProfile> outputProfile() {
    return outputProfile;
  }

  /** The classes it predicts, sorted. */
  @Override
  public java.util.List<String> classes() {
    return model.getOutputIDInfo().getDomain().stream().map(Label::getLabel).sorted().toList();
  }

  /**
   * What the training inputs looked like, for the gateway's input guard; absent in models
   * trained before it was kept.
   */
  @Override
  public Optional<InputProfile> inputProfile() {
    return inputProfile;
  }

  @Override
  public FeatureSpec spec() {
    return spec;
  }

  Model<Label> tribuoModel() {
    return model;
  }

  /**
   * Predicts one instance whose protected fields are already tokenised.
   *
   * @throws BadInputException if a field is missing or invalid
   */
  @Override
  public Result predict(Map<String, String> instance, String where) throws BadInputException {
    FeatureSpec.Encoded e = spec.encode(instance, where);
    Example<Label> ex = new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, e.names(), e.values());
    Prediction<Label> p = model.predict(ex);
    Map<String, Double> scores = new LinkedHashMap<>();
    p.getOutputScores().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(s -> scores.put(s.getKey(), s.getValue().getScore()));
    return new Result(p.getOutput().getLabel(), scores);
  }

  /** The stored form. */
  public byte[] toBytes() {
    ObjectNode o = Json.object();
    o.put("format", FORMAT);
    o.set("spec", spec.toJson());
    inputProfile.ifPresent(p -> o.set("input_profile", p.toJson()));
    outputProfile.ifPresent(p -> o.set("output_profile", p.toJson()));
    o.put("tribuo", Base64.getEncoder().encodeToString(model.serialize().toByteArray()));
    return Json.canonical(o);
  }

  /**
   * Reads the stored form.
   *
   * @throws BadInputException if it is not a Bastion tabular model
   */
  public static TabularModel fromBytes(byte[] bytes, String where) throws BadInputException {
    JsonNode o = Json.parse(bytes, where);
    if (!FORMAT.equals(o.path("format").asText())) {
      throw new BadInputException(where + ": not a " + FORMAT + " model");
    }
    FeatureSpec spec = FeatureSpec.fromJson(o.path("spec"));
    Optional<InputProfile> profile = Optional.empty();
    if (o.has("input_profile")) {
      InputProfile p = InputProfile.fromJson(o.get("input_profile"), where);
      // Canonical JSON orders the spec's columns by name; the profile keeps its own order.
      if (p.columns().size() != spec.numeric().size()
          || !spec.numeric().keySet().equals(java.util.Set.copyOf(p.columns()))) {
        throw new BadInputException(
            where + ": input_profile.columns are not the feature spec's numeric columns");
      }
      profile = Optional.of(p);
    }
    Optional<OutputProfile> outputs = Optional.empty();
    if (o.has("output_profile")) {
      outputs = Optional.of(OutputProfile.fromJson(o.get("output_profile"), where));
    }
    byte[] proto;
    try {
      proto = Base64.getDecoder().decode(o.path("tribuo").asText());
    } catch (IllegalArgumentException e) {
      throw new BadInputException(where + ": the Tribuo model is not base64", e);
    }
    ProtoClassNames.check(proto, where);
    Model<?> m;
    try {
      m = Model.deserialize(ModelProto.parseFrom(proto));
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // Tribuo's readers throw whatever their casts and checks throw on a crafted message.
      throw new BadInputException(where + ": the Tribuo model does not parse", e);
    }
    if (!m.validate(Label.class)) {
      throw new BadInputException(where + ": not a classification model");
    }
    @SuppressWarnings("unchecked")
    Model<Label> labelModel = (Model<Label>) m;
    return new TabularModel(labelModel, spec, profile, outputs);
  }
}
