package io.github.shimmypull.examples.kubernetes;

import static io.github.shimmypull.examples.kubernetes.Yamls.mapAt;
import static io.github.shimmypull.examples.kubernetes.Yamls.mapsAt;
import static io.github.shimmypull.examples.kubernetes.Yamls.stringAt;
import static io.github.shimmypull.examples.kubernetes.Yamls.stringsAt;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.examples.kubernetes.ManifestRules.Variant;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KubernetesManifestsTest {

  private static final String PRELOADED = "TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF:Q2_K";

  @Test
  void singleReplicaVariantFollowsEveryRule() throws IOException {
    assertThat(ManifestRules.violations(single(), Checkouts.image(), Variant.SINGLE_REPLICA))
        .isEmpty();
  }

  @Test
  void multiReplicaVariantFollowsEveryRule() throws IOException {
    assertThat(ManifestRules.violations(multi(), Checkouts.image(), Variant.MULTI_REPLICA))
        .isEmpty();
  }

  @Test
  void everyDocumentIsANamedKubernetesObject() throws IOException {
    for (Manifests manifests : List.of(single(), multi())) {
      assertThat(manifests.objects())
          .isNotEmpty()
          .allSatisfy(
              object -> {
                assertThat(object).containsKeys("apiVersion", "kind");
                assertThat(stringAt(object, "metadata", "name")).isNotBlank();
              });
    }
  }

  @Test
  void singleReplicaPreloadsTheDocumentedModelBeforeTheServerStarts() throws IOException {
    Map<String, Object> init = mapsAt(pod(single()), "initContainers").get(0);

    assertThat(stringsAt(init, "command"))
        .containsExactly("java", "-jar", "/app/shimmy-server.jar");
    assertThat(stringsAt(init, "args"))
        .containsExactly("pull", PRELOADED, "--model-dir", "/models");
  }

  @Test
  void multiReplicaSharesOneReadWriteManyVolumeAcrossReplicas() throws IOException {
    Manifests multi = multi();

    assertThat(Integer.parseInt(stringAt(multi.the("Deployment"), "spec", "replicas")))
        .isGreaterThan(1);
    assertThat(stringsAt(multi.the("PersistentVolumeClaim"), "spec", "accessModes"))
        .containsExactly("ReadWriteMany");
    assertThat(
            stringsAt(
                mapsAt(mapAt(multi.the("Job"), "spec", "template", "spec"), "containers").get(0),
                "args"))
        .containsExactly("pull", PRELOADED, "--model-dir", "/models");
  }

  @Test
  void adminAndHuggingFaceTokensComeFromTheSameSecret() throws IOException {
    for (Manifests manifests : List.of(single(), multi())) {
      Map<String, Object> server = server(manifests);
      assertThat(mapsAt(server, "env"))
          .extracting(e -> e.get("name"))
          .contains("SHIMMY_PULL_ADMIN_TOKEN", "HF_TOKEN");
      assertThat(mapsAt(server, "env"))
          .allSatisfy(
              e ->
                  assertThat(stringAt(e, "valueFrom", "secretKeyRef", "name"))
                      .isEqualTo("shimmy-pull"));
    }
  }

  @Test
  void rulesCatchAnImageWhoseJarOrVolumeMovedAway() throws IOException {
    Image image = Checkouts.image();
    Image movedJar =
        new Image(
            List.of("java", "-jar", "/opt/server.jar"),
            image.defaultArgs(),
            image.uid(),
            image.modelVolume(),
            image.shimmyBinary());
    Image movedVolume =
        new Image(
            image.entrypoint(), image.defaultArgs(), image.uid(), "/data", image.shimmyBinary());

    assertThat(ManifestRules.violations(single(), movedJar, Variant.SINGLE_REPLICA))
        .anySatisfy(v -> assertThat(v).contains("not the image's server jar"));
    assertThat(ManifestRules.violations(single(), movedVolume, Variant.SINGLE_REPLICA))
        .anySatisfy(v -> assertThat(v).contains("not the image's model volume"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("breakages")
  void aBrokenManifestIsCaught(
      String breakage, Variant variant, Consumer<Manifests> breakIt, String expectedViolation)
      throws IOException {
    Manifests manifests = variant == Variant.SINGLE_REPLICA ? single() : multi();
    assertThat(ManifestRules.violations(manifests, Checkouts.image(), variant))
        .as("before: " + breakage)
        .isEmpty();

    breakIt.accept(manifests);

    assertThat(ManifestRules.violations(manifests, Checkouts.image(), variant))
        .as(breakage)
        .anySatisfy(v -> assertThat(v).contains(expectedViolation));
  }

  static Stream<Arguments> breakages() {
    return Stream.of(
        breakage(
            "a probe on Shimmy's own /health",
            Variant.SINGLE_REPLICA,
            m -> mapAt(server(m), "readinessProbe", "httpGet").put("path", "/health"),
            "not /v1/health"),
        breakage(
            "a liveness probe on a port the container does not open",
            Variant.SINGLE_REPLICA,
            m -> mapAt(server(m), "livenessProbe", "httpGet").put("port", 11434),
            "livenessProbe port 11434"),
        breakage(
            "no readiness probe",
            Variant.MULTI_REPLICA,
            m -> server(m).remove("readinessProbe"),
            "no readinessProbe"),
        breakage(
            "a Service aimed at another port",
            Variant.SINGLE_REPLICA,
            m -> mapsAt(m.the("Service"), "spec", "ports").get(0).put("targetPort", 9090),
            "targetPort 9090"),
        breakage(
            "a Service selecting other pods",
            Variant.MULTI_REPLICA,
            m -> mapAt(m.the("Service"), "spec", "selector").put("app.kubernetes.io/name", "other"),
            "does not select"),
        breakage(
            "a server port without a containerPort",
            Variant.SINGLE_REPLICA,
            m -> setOption(server(m), "--port", "9000"),
            "no containerPort 9000"),
        breakage(
            "an init container pulling into another directory",
            Variant.SINGLE_REPLICA,
            m -> setOption(mapsAt(pod(m), "initContainers").get(0), "--model-dir", "/data"),
            "pulls into --model-dir /data"),
        breakage(
            "an init container that is not the pull command",
            Variant.SINGLE_REPLICA,
            m -> args(mapsAt(pod(m), "initContainers").get(0)).set(0, "list"),
            "unknown command 'list'"),
        breakage(
            "an invalid model reference",
            Variant.SINGLE_REPLICA,
            m -> args(mapsAt(pod(m), "initContainers").get(0)).set(1, "TinyLlama Q2_K"),
            "not a valid model reference"),
        breakage(
            "a preload Job on another claim",
            Variant.MULTI_REPLICA,
            m ->
                mapsAt(mapAt(m.the("Job"), "spec", "template", "spec"), "volumes")
                    .get(0)
                    .put(
                        "persistentVolumeClaim",
                        new java.util.LinkedHashMap<>(Map.of("claimName", "elsewhere"))),
            "which no PersistentVolumeClaim here defines"),
        breakage(
            "a server option that does not exist",
            Variant.SINGLE_REPLICA,
            m -> args(server(m)).add("--models-dir"),
            "option '--models-dir' does not exist"),
        breakage(
            "the admin token on the command line",
            Variant.SINGLE_REPLICA,
            m -> args(server(m)).addAll(List.of("--admin-token", "s3cret")),
            "puts a secret on the command line"),
        breakage(
            "an unknown restart mode",
            Variant.MULTI_REPLICA,
            m -> setOption(server(m), "--restart-mode", "rolling"),
            "--restart-mode 'rolling'"),
        breakage(
            "a Shimmy command the image does not have",
            Variant.SINGLE_REPLICA,
            m -> setOption(server(m), "--shimmy-command", "/opt/shimmy/bin/shimmy"),
            "does not start the image's Shimmy"),
        breakage(
            "an environment variable the server does not read",
            Variant.SINGLE_REPLICA,
            m -> mapsAt(server(m), "env").get(0).put("name", "SHIMMY_ADMIN_TOKEN"),
            "which the server does not read"),
        breakage(
            "a mount of an undeclared volume",
            Variant.SINGLE_REPLICA,
            m -> mapsAt(server(m), "volumeMounts").get(1).put("name", "scratch"),
            "mounts scratch"),
        breakage(
            "a server reading another claim than the PVC",
            Variant.SINGLE_REPLICA,
            m ->
                mapAt(mapsAt(pod(m), "volumes").get(0), "persistentVolumeClaim")
                    .put("claimName", "models-typo"),
            "which no PersistentVolumeClaim here defines"),
        breakage(
            "replicas on a ReadWriteOnce claim",
            Variant.MULTI_REPLICA,
            m ->
                mapAt(m.the("PersistentVolumeClaim"), "spec")
                    .put("accessModes", List.of("ReadWriteOnce")),
            "without ReadWriteMany"),
        breakage(
            "a multi-replica variant with one replica",
            Variant.MULTI_REPLICA,
            m -> mapAt(m.the("Deployment"), "spec").put("replicas", 1),
            "expected more than one"),
        breakage(
            "a rolling update on a ReadWriteOnce claim",
            Variant.SINGLE_REPLICA,
            m -> mapAt(m.the("Deployment"), "spec", "strategy").put("type", "RollingUpdate"),
            "needs strategy Recreate"),
        breakage(
            "no preStop",
            Variant.SINGLE_REPLICA,
            m -> server(m).remove("lifecycle"),
            "no preStop sleep"),
        breakage(
            "a grace period shorter than preStop plus drain",
            Variant.MULTI_REPLICA,
            m -> pod(m).put("terminationGracePeriodSeconds", 40),
            "terminationGracePeriodSeconds 40"),
        breakage(
            "no memory limit",
            Variant.SINGLE_REPLICA,
            m -> mapAt(server(m), "resources", "limits").remove("memory"),
            "has no resources.limits.memory"),
        breakage(
            "running as root allowed",
            Variant.SINGLE_REPLICA,
            m -> mapAt(pod(m), "securityContext").remove("runAsNonRoot"),
            "does not require runAsNonRoot"),
        breakage(
            "a misspelled pod field",
            Variant.SINGLE_REPLICA,
            m -> pod(m).put("terminationGracePeriodSecond", 60),
            "unknown field terminationGracePeriodSecond"),
        breakage(
            "a misspelled probe field",
            Variant.MULTI_REPLICA,
            m -> mapAt(server(m), "livenessProbe").put("periodSecond", 10),
            "unknown field periodSecond"),
        breakage(
            "a manifest left out of the kustomization",
            Variant.MULTI_REPLICA,
            m -> stringsList(m.kustomization().orElseThrow(), "resources").remove("pdb.yaml"),
            "kustomization resources"));
  }

  private static Arguments breakage(
      String name, Variant variant, Consumer<Manifests> breakIt, String expected) {
    return Arguments.of(name, variant, breakIt, expected);
  }

  private static Manifests single() throws IOException {
    return Manifests.load(Checkouts.module());
  }

  private static Manifests multi() throws IOException {
    return Manifests.load(Checkouts.module().resolve(Path.of("multi-replica")));
  }

  private static Map<String, Object> pod(Manifests manifests) {
    return mapAt(manifests.the("Deployment"), "spec", "template", "spec");
  }

  private static Map<String, Object> server(Manifests manifests) {
    return mapsAt(pod(manifests), "containers").get(0);
  }

  private static List<Object> args(Map<String, Object> container) {
    return stringsList(container, "args");
  }

  @SuppressWarnings("unchecked")
  private static List<Object> stringsList(Map<String, Object> object, String key) {
    return (List<Object>) object.get(key);
  }

  private static void setOption(Map<String, Object> container, String option, String value) {
    List<Object> args = args(container);
    int index = args.indexOf(option);
    if (index < 0) {
      args.addAll(List.of(option, value));
    } else {
      args.set(index + 1, value);
    }
  }
}
