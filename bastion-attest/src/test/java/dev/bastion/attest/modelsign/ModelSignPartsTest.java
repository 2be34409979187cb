package dev.bastion.attest.modelsign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The small parts: encodings, names, orders, lenient parsing, ignore rules, key hints. */
class ModelSignPartsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theLegacyEncodingIsPythonsBytesRepr() {
    byte[] in = {'a', '\'', '\\', '\n', '\t', '\r', 0, 0x7f, (byte) 0xe9, '"'};
    assertThat(new String(Pae.pythonBytesRepr(in), StandardCharsets.US_ASCII))
        .isEqualTo("b'a\\'\\\\\\n\\t\\r\\x00\\x7f\\xe9\"'");
    // With a single quote and no double quote, Python switches to double quotes.
    assertThat(new String(Pae.pythonBytesRepr("it's".getBytes(StandardCharsets.US_ASCII)),
        StandardCharsets.US_ASCII)).isEqualTo("b\"it's\"");
    assertThat(new String(Pae.legacyV02("t", "{}".getBytes(StandardCharsets.US_ASCII)),
        StandardCharsets.US_ASCII)).isEqualTo("DSSEV1 1 t 2 b'{}'");
  }

  @Test
  void namesAreOrderedByCodePointNotByUtf16Unit() {
    // U+FF5E sorts before U+1F600 by code point, after it by UTF-16 unit (a surrogate is D83D).
    Resource high = new Resource("\uD83D\uDE00", Digest.of(new byte[0]));
    Resource bmp = new Resource("\uFF5E", Digest.of(new byte[0]));
    List<Resource> l = new ArrayList<>(List.of(high, bmp));
    l.sort(Resource.BY_NAME);
    assertThat(l).containsExactly(bmp, high);
    assertThat("\uD83D\uDE00".compareTo("\uFF5E")).isNegative();
  }

  @Test
  void shardsAreOrderedByPathThenNumericOffset() {
    Digest d = Digest.of(new byte[0]);
    List<Resource> l = new ArrayList<>(List.of(new Resource("f:16:24", d),
        new Resource("f:8:16", d), new Resource("e:x:0:8", d), new Resource("f:0:8", d)));
    l.sort(Resource.BY_SHARD);
    assertThat(l).extracting(Resource::name).containsExactly("e:x:0:8", "f:0:8", "f:8:16", "f:16:24");
  }

  @ParameterizedTest
  @CsvSource({"a:0:8, a, 0, 8", "a:b:c:1:2, a:b:c, 1, 2", "x y:10:20, x y, 10, 20"})
  void shardNamesTakeTheLastTwoColons(String name, String path, long start, long end) {
    assertThat(Resource.ShardName.parseOrNull(name))
        .isEqualTo(new Resource.ShardName(path, start, end));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "a:1", "a:x:2", ":0:1", "a:2:1", "a:-1:2", "a:1:99999999999999999999"})
  void malformedShardNamesAreNotShards(String name) {
    assertThat(Resource.ShardName.parseOrNull(name)).isNull();
  }

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  @Test
  void serializationIsReadLeniently() throws Exception {
    Serialization s = Serialization.parse(json(
        "{\"method\":\"shards\",\"hash_type\":\"sha256\",\"shard_size\":8.0,\"allow_symlinks\":\"true\"}"));
    assertThat(s).isEqualTo(Serialization.shards(8, true, List.of()));
    Serialization.checkAlgorithm("sha256-sharded-8", Serialization.Method.SHARDS, 8, "x");
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "{\"method\":\"shards\",\"hash_type\":\"sha256\",\"shard_size\":8.5,\"allow_symlinks\":false}",
    "{\"method\":\"shards\",\"hash_type\":\"sha256\",\"shard_size\":0,\"allow_symlinks\":false}",
    "{\"method\":\"shards\",\"hash_type\":\"sha256\",\"shard_size\":\"8\",\"allow_symlinks\":false}",
    "{\"method\":\"shards\",\"hash_type\":\"sha256-sharded-9\",\"shard_size\":8,\"allow_symlinks\":false}",
    "{\"method\":\"files\",\"hash_type\":\"blake2b\",\"allow_symlinks\":false}",
    "{\"method\":\"files\",\"hash_type\":\"sha256\"}",
    "{\"method\":\"tensors\",\"hash_type\":\"sha256\",\"allow_symlinks\":false}",
    "{\"method\":\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":false,\"ignore_paths\":\"x\"}"})
  void whatCannotBeDecidedIsRefused(String s) {
    assertThatThrownBy(() -> Serialization.parse(json(s))).isInstanceOf(VerificationException.class);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "a/b|a/b", "./a//b/|a/b", "a/./b|a/b", "/a|", "a/../b|", "..|", ".|", "''|"})
  void relativePathsAreNormalised(String in, String out) {
    assertThat(IgnoreRules.normalize(in == null ? "" : in)).isEqualTo(out);
  }

  @Test
  void gitEntriesAreLeftOutAtTheTopLevelOnly() {
    IgnoreRules r = IgnoreRules.forSigning(Set.of("cache", "sub/x"));
    assertThat(r.ignored(".git")).isTrue();
    assertThat(r.ignored(".gitmodules")).isTrue();
    assertThat(r.ignored("sub/.gitignore")).isFalse();
    assertThat(r.ignored("cache/y")).isTrue();
    assertThat(r.ignored("cachet")).isFalse();
    assertThat(r.ignored("sub/x/y")).isTrue();
    assertThat(r.ignored("other/cache")).isFalse();
    // When verifying, a git entry the signature lists is checked like any file.
    assertThat(IgnoreRules.forVerifying(Set.of(), Set.of(".gitmodules")).ignored(".gitmodules"))
        .isFalse();
  }

  @Test
  void theKeyHintIsTheDigestOfThePemText() throws Exception {
    // The v1.1.0 vectors record this hint for keys/certificate/signing-key-pub.pem.
    TrustRoot.Key k = (TrustRoot.Key) OmsFixtures.vectorKey();
    assertThat(Keys.hint(k.publicKey()))
        .isEqualTo("e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e");
    assertThat(Keys.Curve.of(k.publicKey())).isEqualTo(Keys.Curve.P384);
  }

  @Test
  void unsupportedKeysAreRefusedWithOneLine() throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    byte[] rsa = OmsFixtures.privatePem(g.generateKeyPair().getPrivate());
    assertThatThrownBy(() -> SigningKey.fromPem(rsa, "rsa.pem"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("rsa.pem");
    // A curve OMS does not allow (the JDK does not even know it; Bouncy Castle does).
    java.security.KeyPairGenerator bc = java.security.KeyPairGenerator.getInstance(
        "EC", new org.bouncycastle.jce.provider.BouncyCastleProvider());
    bc.initialize(new java.security.spec.ECGenParameterSpec("brainpoolP256r1"));
    byte[] brainpool = OmsFixtures.privatePem(bc.generateKeyPair().getPrivate());
    assertThatThrownBy(() -> SigningKey.fromPem(brainpool, "bp.pem"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("bp.pem");
    assertThatThrownBy(() -> SigningKey.fromPem("garbage".getBytes(StandardCharsets.US_ASCII), "g"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no PEM PRIVATE KEY");
    byte[] encrypted = ("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder().encodeToString(new byte[] {0x30, 0x03, 0x02, 0x01, 0x00})
        + "\n-----END ENCRYPTED PRIVATE KEY-----\n").getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> SigningKey.fromPem(encrypted, "e"))
        .isInstanceOf(BadInputException.class);
  }

  @Test
  void signingKeysDoNotShowTheirSecret() throws Exception {
    java.security.KeyPair kp = OmsFixtures.ecKeyPair("secp256r1");
    SigningKey k = SigningKey.fromPem(OmsFixtures.privatePem(kp.getPrivate()), "k");
    assertThat(k.toString()).startsWith("SigningKey[secp256r1, hint ").doesNotContain(
        ((java.security.interfaces.ECPrivateKey) kp.getPrivate()).getS().toString(16));
    assertThat(k.publicKey().getEncoded()).isEqualTo(kp.getPublic().getEncoded());
  }
}
