package dev.bastion.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates gate rules (CEL) over evidence. The evidence is a JSON object whose top-level members
 * become CEL variables of type {@code map(string, dyn)}: {@code data}, {@code train},
 * {@code metrics}.
 *
 * <p>Fail closed: a rule that does not compile, refers to missing evidence, errs at run time or
 * yields anything but {@code true} is a {@code FAIL} decision.
 */
public final class GateEngine {
  /** The evidence variables a rule may use. */
  public static final List<String> VARIABLES = List.of("data", "train", "metrics", "model");

  private static final CelOptions OPTIONS =
      CelOptions.current().enableHeterogeneousNumericComparisons(true).build();

  private final CelCompiler compiler;
  private final CelRuntime runtime;

  public GateEngine() {
    var builder =
        CelCompilerFactory.standardCelCompilerBuilder()
            .setOptions(OPTIONS)
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .setResultType(SimpleType.BOOL);
    for (String v : VARIABLES) {
      builder.addVar(v, MapType.create(SimpleType.STRING, SimpleType.DYN));
    }
    this.compiler = builder.build();
    this.runtime = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(OPTIONS).build();
  }

  /**
   * Checks that every rule compiles.
   *
   * @throws BadInputException naming the gate and the CEL error
   */
  public void check(GatePolicies policies) throws BadInputException {
    for (GatePolicy g : policies.gates().values()) {
      compile(g);
    }
  }

  private CelAbstractSyntaxTree compile(GatePolicy g) throws BadInputException {
    try {
      return compiler.compile(g.rule()).getAst();
    } catch (CelValidationException e) {
      throw new BadInputException(
          "gate '" + g.name() + "': rule does not compile: "
              + e.getMessage().replace('\n', ' '),
          e);
    }
  }

  /**
   * Decides on {@code inputs} given {@code evidence}. Never throws for a bad rule or evidence: those
   * are failing decisions with the reason.
   */
  public GateDecision decide(
      GatePolicies policies,
      String gate,
      Map<String, Digest> inputs,
      JsonNode evidence,
      String runId) {
    GatePolicy policy = policies.gate(gate).orElse(null);
    if (policy == null) {
      return decision(
          gate, "", policies, inputs, evidence, runId, false, "no policy for gate '" + gate + "'");
    }
    try {
      CelAbstractSyntaxTree ast = compile(policy);
      Map<String, Object> vars = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : evidence.properties()) {
        if (VARIABLES.contains(e.getKey())) {
          vars.put(e.getKey(), toCel(e.getValue()));
        }
      }
      Object result = runtime.createProgram(ast).eval(vars);
      boolean pass = Boolean.TRUE.equals(result);
      return decision(
          gate,
          policy.rule(),
          policies,
          inputs,
          evidence,
          runId,
          pass,
          pass ? "rule holds" : "rule does not hold: " + policy.rule());
    } catch (BadInputException e) {
      return decision(gate, policy.rule(), policies, inputs, evidence, runId, false, e.getMessage());
    } catch (IllegalArgumentException e) {
      return decision(gate, policy.rule(), policies, inputs, evidence, runId, false,
          "evidence cannot be evaluated: " + e.getMessage());
    } catch (CelEvaluationException e) {
      return decision(
          gate,
          policy.rule(),
          policies,
          inputs,
          evidence,
          runId,
          false,
          "rule cannot be evaluated: " + e.getMessage().replace('\n', ' '));
    }
  }

  private static GateDecision decision(
      String gate,
      String rule,
      GatePolicies policies,
      Map<String, Digest> inputs,
      JsonNode evidence,
      String runId,
      boolean pass,
      String reason) {
    return new GateDecision(
        gate,
        pass ? GateDecision.Outcome.PASS : GateDecision.Outcome.FAIL,
        rule,
        policies.digest(),
        inputs,
        evidence,
        reason,
        runId,
        Instant.now());
  }

  /** JSON to the values CEL understands: Long, Double, String, Boolean, List, Map. */
  static Object toCel(JsonNode n) {
    if (n.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        m.put(e.getKey(), toCel(e.getValue()));
      }
      return m;
    }
    if (n.isArray()) {
      List<Object> l = new ArrayList<>();
      for (JsonNode e : n) {
        l.add(toCel(e));
      }
      return l;
    }
    if (n.isIntegralNumber()) {
      if (!n.canConvertToLong()) {
        // CEL integers are 64-bit; wrapping would turn 2^64 into 0 and let a rule pass.
        throw new IllegalArgumentException("evidence integer " + n + " is beyond 64 bits");
      }
      return n.asLong();
    }
    if (n.isNumber()) {
      double d = n.asDouble();
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException("evidence number " + n + " is beyond a double");
      }
      return d;
    }
    if (n.isBoolean()) {
      return n.asBoolean();
    }
    if (n.isNull()) {
      return com.google.protobuf.NullValue.NULL_VALUE;
    }
    return n.asText();
  }

  /** Builds evidence from a map of variables (for callers that hold plain Java values). */
  public static JsonNode evidence(Map<String, ?> values) {
    return Json.toTree(values);
  }
}
