package dev.bastion.data.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.data.sketch.FrequentItems;
import dev.bastion.data.sketch.HyperLogLog;
import dev.bastion.data.sketch.KllSketch;

/** The property every deserialiser input must satisfy, shared by the fuzz and random tests. */
final class DeserialiserInvariants {
  private DeserialiserInvariants() {}

  static void assertSketchesReadOrRefuse(byte[] bytes) {
    try {
      KllSketch k = KllSketch.fromBytes(bytes);
      assertThat(k.toBytes()).isEqualTo(bytes);
      if (!k.isEmpty()) {
        assertThat(k.quantile(0.5)).isBetween(k.min(), k.max());
        assertThat(k.rank(k.max())).isEqualTo(1.0);
      }
      KllSketch m = k.copy();
      m.merge(k);
      m.update(1.0);
      assertThat(m.count()).isEqualTo(2 * k.count() + 1);
    } catch (BadInputException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
    try {
      HyperLogLog h = HyperLogLog.fromBytes(bytes);
      assertThat(h.toBytes()).isEqualTo(bytes);
      assertThat(h.estimate()).isFinite().isNotNegative();
    } catch (BadInputException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
    try {
      FrequentItems f = FrequentItems.fromBytes(bytes);
      assertThat(f.toBytes()).isEqualTo(bytes);
      FrequentItems m = f.copy();
      m.merge(f);
      assertThat(m.error()).isGreaterThanOrEqualTo(2 * f.error());
      f.update("x");
    } catch (BadInputException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  static void assertProfileReadsOrRefuses(byte[] bytes) {
    Profile p;
    try {
      p = Profile.parse(bytes, "profile.json");
    } catch (BadInputException e) {
      assertThat(e.getMessage()).startsWith("profile.json: ");
      return;
    }
    byte[] canonical = Json.canonical(Json.toTree(p.toJsonNode()));
    assertThat(p.toJson()).isEqualTo(canonical);
    try {
      assertThat(Profile.parse(p.toJson(), "again").toJson()).isEqualTo(p.toJson());
      p.merge(p);
    } catch (BadInputException e) {
      throw new AssertionError("an accepted profile must re-read and merge with itself", e);
    }
    Drift.compare(p, p, null, Drift.Options.DEFAULTS);
  }
}
