package io.github.shimmypull.examples.kubernetes;

import static io.github.shimmypull.examples.kubernetes.Yamls.mapAt;
import static io.github.shimmypull.examples.kubernetes.Yamls.mapsAt;
import static io.github.shimmypull.examples.kubernetes.Yamls.stringAt;
import static io.github.shimmypull.examples.kubernetes.Yamls.stringsAt;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The rules a deployment variant under examples/kubernetes must follow, against itself, the image
 * (examples/docker/Dockerfile) and the server's CLI. Each broken rule is one readable violation.
 */
final class ManifestRules {

  /** What a variant promises beyond the common rules. */
  enum Variant {
    /** One pod on a ReadWriteOnce volume, preloading with an init container. */
    SINGLE_REPLICA,
    /**
     * Several pods on one ReadWriteMany volume, preloading with a Job, reconciling by the directory
     * watcher.
     */
    MULTI_REPLICA
  }

  private static final Set<String> SECRET_ENVIRONMENT =
      Set.of("HF_TOKEN", "SHIMMY_PULL_ADMIN_TOKEN");

  /**
   * Fields of a core/v1 PodSpec: a misspelled one would be dropped or rejected by the API server.
   */
  private static final Set<String> POD_FIELDS =
      Set.of(
          "activeDeadlineSeconds",
          "affinity",
          "automountServiceAccountToken",
          "containers",
          "dnsConfig",
          "dnsPolicy",
          "enableServiceLinks",
          "ephemeralContainers",
          "hostAliases",
          "hostIPC",
          "hostNetwork",
          "hostPID",
          "hostUsers",
          "hostname",
          "hostnameOverride",
          "imagePullSecrets",
          "initContainers",
          "nodeName",
          "nodeSelector",
          "os",
          "overhead",
          "preemptionPolicy",
          "priority",
          "priorityClassName",
          "readinessGates",
          "resourceClaims",
          "resources",
          "restartPolicy",
          "runtimeClassName",
          "schedulerName",
          "schedulingGates",
          "securityContext",
          "serviceAccount",
          "serviceAccountName",
          "setHostnameAsFQDN",
          "shareProcessNamespace",
          "subdomain",
          "terminationGracePeriodSeconds",
          "tolerations",
          "topologySpreadConstraints",
          "volumes");

  /** Fields of a core/v1 Container. */
  private static final Set<String> CONTAINER_FIELDS =
      Set.of(
          "args",
          "command",
          "env",
          "envFrom",
          "image",
          "imagePullPolicy",
          "lifecycle",
          "livenessProbe",
          "name",
          "ports",
          "readinessProbe",
          "resizePolicy",
          "resources",
          "restartPolicy",
          "restartPolicyRules",
          "securityContext",
          "startupProbe",
          "stdin",
          "stdinOnce",
          "terminationMessagePath",
          "terminationMessagePolicy",
          "tty",
          "volumeDevices",
          "volumeMounts",
          "workingDir");

  /** Fields of a core/v1 Probe. */
  private static final Set<String> PROBE_FIELDS =
      Set.of(
          "exec",
          "failureThreshold",
          "grpc",
          "httpGet",
          "initialDelaySeconds",
          "periodSeconds",
          "successThreshold",
          "tcpSocket",
          "terminationGracePeriodSeconds",
          "timeoutSeconds");

  private final Manifests manifests;
  private final Image image;
  private final List<String> violations = new ArrayList<>();

  private ManifestRules(Manifests manifests, Image image) {
    this.manifests = manifests;
    this.image = image;
  }

  static List<String> violations(Manifests manifests, Image image, Variant variant) {
    ManifestRules rules = new ManifestRules(manifests, image);
    rules.check(variant);
    return List.copyOf(rules.violations);
  }

  private void check(Variant variant) {
    checkKustomization();
    List<Map<String, Object>> deployments = manifests.ofKind("Deployment");
    if (deployments.size() != 1) {
      violations.add("expected exactly one Deployment, found " + deployments.size());
      return;
    }
    Map<String, Object> deployment = deployments.get(0);
    Map<String, Object> pod = mapAt(deployment, "spec", "template", "spec");
    checkSelector(deployment);
    List<Map<String, Object>> servers = mapsAt(pod, "containers");
    if (servers.size() != 1) {
      violations.add(
          "the Deployment should run exactly one container (the server jar, which runs Shimmy), found "
              + servers.size());
      return;
    }
    Map<String, Object> server = servers.get(0);
    List<String> serverArgs = jarArgs(server, "Deployment container");
    if (serverArgs.isEmpty() || !serverArgs.get(0).equals("serve")) {
      violations.add(
          "the Deployment container does not run the server jar's serve command: " + serverArgs);
      return;
    }
    String modelDir = ServerArgs.option(serverArgs, "--model-dir").orElse("./models");
    String modelClaim = checkModelMount(pod, server, modelDir, "Deployment container");
    checkShimmyCommand(serverArgs);
    int port = checkPortsAndProbes(server, serverArgs);
    checkShutdown(pod, server);
    checkPodSecurity(pod, "Deployment");
    checkServices(deployment, server, port);
    for (Map<String, Object> container : allContainers(pod)) {
      checkResources(container);
      checkEnvironment(container);
    }
    checkVolumes(pod, "Deployment");
    checkFields(pod, "Deployment");

    List<Map<String, Object>> pullers = new ArrayList<>();
    for (Map<String, Object> init : mapsAt(pod, "initContainers")) {
      checkPuller(pod, init, modelDir, modelClaim, "init container " + init.get("name"));
      pullers.add(init);
    }
    for (Map<String, Object> job : manifests.ofKind("Job")) {
      Map<String, Object> jobPod = mapAt(job, "spec", "template", "spec");
      checkPodSecurity(jobPod, "Job");
      checkVolumes(jobPod, "Job");
      checkFields(jobPod, "Job");
      for (Map<String, Object> container : mapsAt(jobPod, "containers")) {
        checkResources(container);
        checkEnvironment(container);
        checkPuller(
            jobPod, container, modelDir, modelClaim, "Job container " + container.get("name"));
        pullers.add(container);
      }
    }

    int replicas =
        Integer.parseInt(Objects.requireNonNullElse(stringAt(deployment, "spec", "replicas"), "1"));
    Set<String> accessModes = new TreeSet<>(claimAccessModes(modelClaim));
    if (replicas > 1 && !accessModes.contains("ReadWriteMany")) {
      violations.add(
          replicas
              + " replicas share claim "
              + modelClaim
              + " without ReadWriteMany (access modes "
              + accessModes
              + ")");
    }
    if (accessModes.equals(Set.of("ReadWriteOnce"))
        && !"Recreate".equals(stringAt(deployment, "spec", "strategy", "type"))) {
      violations.add(
          "a ReadWriteOnce model volume needs strategy Recreate (a rolling update's new pod cannot attach it on another node)");
    }
    switch (variant) {
      case SINGLE_REPLICA -> {
        if (mapsAt(pod, "initContainers").isEmpty()) {
          violations.add(
              "the single-replica variant should preload models with an init container running pull");
        }
      }
      case MULTI_REPLICA -> {
        if (replicas <= 1) {
          violations.add(
              "the multi-replica variant runs " + replicas + " replica(s); expected more than one");
        }
        if (!accessModes.contains("ReadWriteMany")) {
          violations.add(
              "the multi-replica variant's model claim " + modelClaim + " is not ReadWriteMany");
        }
        if (!mapsAt(pod, "initContainers").isEmpty()) {
          violations.add(
              "the multi-replica variant should preload with one Job, not an init container in every replica");
        }
        if (manifests.ofKind("Job").isEmpty()) {
          violations.add("the multi-replica variant has no preload Job");
        }
      }
    }
    if (pullers.isEmpty()) {
      violations.add("nothing preloads a model with the pull command");
    }
  }

  private void checkKustomization() {
    Optional<Map<String, Object>> kustomization = manifests.kustomization();
    if (kustomization.isEmpty()) {
      violations.add("no " + Manifests.KUSTOMIZATION);
      return;
    }
    Set<String> listed = new TreeSet<>(stringsAt(kustomization.get(), "resources"));
    Set<String> present = new TreeSet<>(manifests.files().keySet());
    present.remove(Manifests.KUSTOMIZATION);
    if (!listed.equals(present)) {
      violations.add(
          "kustomization resources "
              + listed
              + " differ from the manifests in the directory "
              + present);
    }
  }

  private void checkSelector(Map<String, Object> deployment) {
    Map<String, Object> selector = mapAt(deployment, "spec", "selector", "matchLabels");
    Map<String, Object> labels = mapAt(deployment, "spec", "template", "metadata", "labels");
    if (selector.isEmpty() || !labels.entrySet().containsAll(selector.entrySet())) {
      violations.add(
          "Deployment selector " + selector + " does not match its pod labels " + labels);
    }
  }

  /** The arguments given to the server jar, after checking the command runs the image's jar. */
  private List<String> jarArgs(Map<String, Object> container, String where) {
    List<String> command = stringsAt(container, "command");
    List<String> args = stringsAt(container, "args");
    if (command.isEmpty()) {
      command = image.entrypoint();
      if (container.get("args") == null) {
        args = image.defaultArgs();
      }
    }
    if (!command.equals(image.entrypoint())) {
      violations.add(
          where + " runs " + command + ", not the image's server jar " + image.entrypoint());
    }
    violations.addAll(ServerArgs.violations(args, where));
    return args;
  }

  /** Checks the model directory is a mounted claim; returns the claim's name. */
  private String checkModelMount(
      Map<String, Object> pod, Map<String, Object> container, String modelDir, String where) {
    if (!modelDir.equals(image.modelVolume())) {
      violations.add(
          where
              + " uses model directory "
              + modelDir
              + ", not the image's model volume "
              + image.modelVolume());
    }
    Optional<Map<String, Object>> mount =
        mapsAt(container, "volumeMounts").stream()
            .filter(m -> modelDir.equals(stringAt(m, "mountPath")))
            .findFirst();
    if (mount.isEmpty()) {
      violations.add(where + " mounts no volume at its model directory " + modelDir);
      return "";
    }
    String volume = stringAt(mount.get(), "name");
    String claim =
        mapsAt(pod, "volumes").stream()
            .filter(v -> Objects.equals(volume, stringAt(v, "name")))
            .map(v -> stringAt(v, "persistentVolumeClaim", "claimName"))
            .filter(Objects::nonNull)
            .findFirst()
            .orElse(null);
    if (claim == null) {
      violations.add(
          where
              + " keeps its models on volume "
              + volume
              + ", which is not a PersistentVolumeClaim");
      return "";
    }
    return claim;
  }

  private void checkShimmyCommand(List<String> serverArgs) {
    String shimmyCommand = ServerArgs.option(serverArgs, "--shimmy-command").orElse("shimmy");
    if (!image.runs(shimmyCommand)) {
      violations.add(
          "--shimmy-command '"
              + shimmyCommand
              + "' does not start the image's Shimmy at "
              + image.shimmyBinary());
    }
  }

  /** Checks ports and probes; returns the server's port. */
  private int checkPortsAndProbes(Map<String, Object> server, List<String> serverArgs) {
    int port =
        Integer.parseInt(
            ServerArgs.option(serverArgs, "--port")
                .orElse(String.valueOf(ServerInterface.DEFAULT_PORT)));
    if (resolvePort(server, String.valueOf(port)).isEmpty()) {
      violations.add("no containerPort " + port + " for the server's --port");
    }
    for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
      Map<String, Object> spec = mapAt(server, probe);
      if (spec.isEmpty()) {
        if (!probe.equals("startupProbe")) {
          violations.add("the server container has no " + probe);
        }
        continue;
      }
      String path = stringAt(spec, "httpGet", "path");
      if (!ServerInterface.HEALTH_PATH.equals(path)) {
        violations.add(probe + " checks " + path + ", not " + ServerInterface.HEALTH_PATH);
      }
      String probePort = stringAt(spec, "httpGet", "port");
      if (!resolvePort(server, probePort).equals(Optional.of(port))) {
        violations.add(probe + " port " + probePort + " is not the server's port " + port);
      }
    }
    return port;
  }

  private void checkShutdown(Map<String, Object> pod, Map<String, Object> server) {
    Map<String, Object> preStop = mapAt(server, "lifecycle", "preStop");
    int sleep;
    List<String> exec = stringsAt(preStop, "exec", "command");
    if (exec.size() == 2 && exec.get(0).equals("sleep") && exec.get(1).matches("\\d+")) {
      sleep = Integer.parseInt(exec.get(1));
    } else if (stringAt(preStop, "sleep", "seconds") != null) {
      sleep = Integer.parseInt(Objects.requireNonNull(stringAt(preStop, "sleep", "seconds")));
    } else {
      violations.add(
          "the server container has no preStop sleep that lets the Service stop routing before SIGTERM");
      sleep = 0;
    }
    if (preStop.isEmpty()) {
      return;
    }
    int grace =
        Integer.parseInt(
            Objects.requireNonNullElse(stringAt(pod, "terminationGracePeriodSeconds"), "30"));
    if (grace <= sleep + ServerInterface.DRAIN_SECONDS) {
      violations.add(
          "terminationGracePeriodSeconds "
              + grace
              + " does not cover the preStop sleep ("
              + sleep
              + " s) plus the drain of in-flight requests ("
              + ServerInterface.DRAIN_SECONDS
              + " s)");
    }
  }

  private void checkPodSecurity(Map<String, Object> pod, String where) {
    if (!Boolean.TRUE.equals(Yamls.at(pod, "securityContext", "runAsNonRoot"))) {
      violations.add(where + " pod does not require runAsNonRoot");
    }
    String uid = stringAt(pod, "securityContext", "runAsUser");
    if (uid != null && Long.parseLong(uid) != image.uid()) {
      violations.add(where + " pod runs as user " + uid + ", not the image's user " + image.uid());
    }
    if (stringAt(pod, "securityContext", "fsGroup") == null) {
      violations.add(
          where
              + " pod sets no fsGroup, so the non-root user may not be able to write the model volume");
    }
  }

  private void checkServices(Map<String, Object> deployment, Map<String, Object> server, int port) {
    Map<String, Object> labels = mapAt(deployment, "spec", "template", "metadata", "labels");
    List<Map<String, Object>> services = manifests.ofKind("Service");
    if (services.isEmpty()) {
      violations.add("no Service in front of the Deployment");
    }
    for (Map<String, Object> service : services) {
      String name = stringAt(service, "metadata", "name");
      Map<String, Object> selector = mapAt(service, "spec", "selector");
      if (selector.isEmpty() || !labels.entrySet().containsAll(selector.entrySet())) {
        violations.add(
            "Service "
                + name
                + " selector "
                + selector
                + " does not select the Deployment's pods "
                + labels);
      }
      for (Map<String, Object> servicePort : mapsAt(service, "spec", "ports")) {
        String target =
            Objects.requireNonNullElse(
                stringAt(servicePort, "targetPort"), stringAt(servicePort, "port"));
        if (!resolvePort(server, target).equals(Optional.of(port))) {
          violations.add(
              "Service " + name + " targetPort " + target + " is not the server's port " + port);
        }
      }
    }
  }

  private void checkPuller(
      Map<String, Object> pod,
      Map<String, Object> container,
      String modelDir,
      String modelClaim,
      String where) {
    List<String> args = jarArgs(container, where);
    if (args.isEmpty() || !args.get(0).equals("pull")) {
      violations.add(where + " does not run the pull command: " + args);
      return;
    }
    String pullDir = ServerArgs.option(args, "--model-dir").orElse("./models");
    if (!pullDir.equals(modelDir)) {
      violations.add(
          where + " pulls into --model-dir " + pullDir + ", but the server serves " + modelDir);
      return;
    }
    String claim = checkModelMount(pod, container, pullDir, where);
    if (!claim.isEmpty() && !claim.equals(modelClaim)) {
      violations.add(
          where + " pulls onto claim " + claim + ", but the server reads claim " + modelClaim);
    }
  }

  private void checkResources(Map<String, Object> container) {
    for (String kind : List.of("requests", "limits")) {
      for (String resource : List.of("cpu", "memory")) {
        if (stringAt(container, "resources", kind, resource) == null) {
          violations.add(
              "container " + container.get("name") + " has no resources." + kind + "." + resource);
        }
      }
    }
  }

  private void checkEnvironment(Map<String, Object> container) {
    for (Map<String, Object> env : mapsAt(container, "env")) {
      String name = String.valueOf(env.get("name"));
      if (!ServerInterface.ENVIRONMENT.contains(name)) {
        violations.add(
            "container "
                + container.get("name")
                + " sets "
                + name
                + ", which the server does not read");
      }
      if (SECRET_ENVIRONMENT.contains(name)
          && stringAt(env, "valueFrom", "secretKeyRef", "name") == null) {
        violations.add(
            "container " + container.get("name") + " sets " + name + " without a secretKeyRef");
      }
    }
  }

  private void checkVolumes(Map<String, Object> pod, String where) {
    Set<String> volumes = new HashSet<>();
    for (Map<String, Object> volume : mapsAt(pod, "volumes")) {
      volumes.add(String.valueOf(volume.get("name")));
      String claim = stringAt(volume, "persistentVolumeClaim", "claimName");
      if (claim != null && claimAccessModes(claim).isEmpty()) {
        violations.add(
            where
                + " volume "
                + volume.get("name")
                + " uses claim "
                + claim
                + ", which no PersistentVolumeClaim here defines");
      }
    }
    for (Map<String, Object> container : allContainers(pod)) {
      for (Map<String, Object> mount : mapsAt(container, "volumeMounts")) {
        if (!volumes.contains(String.valueOf(mount.get("name")))) {
          violations.add(
              where
                  + " container "
                  + container.get("name")
                  + " mounts "
                  + mount.get("name")
                  + ", which is not a volume of the pod "
                  + volumes);
        }
      }
    }
  }

  private void checkFields(Map<String, Object> pod, String where) {
    unknown(pod.keySet(), POD_FIELDS, where + " pod spec");
    for (Map<String, Object> container : allContainers(pod)) {
      unknown(container.keySet(), CONTAINER_FIELDS, where + " container " + container.get("name"));
      for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
        unknown(
            mapAt(container, probe).keySet(),
            PROBE_FIELDS,
            where + " container " + container.get("name") + " " + probe);
      }
    }
  }

  private void unknown(Set<String> fields, Set<String> known, String where) {
    for (String field : new TreeSet<>(fields)) {
      if (!known.contains(field)) {
        violations.add(where + " has unknown field " + field);
      }
    }
  }

  /** The access modes of a claim defined in this variant; empty when it is not defined. */
  private List<String> claimAccessModes(String claim) {
    return manifests.ofKind("PersistentVolumeClaim").stream()
        .filter(c -> claim.equals(stringAt(c, "metadata", "name")))
        .findFirst()
        .map(c -> stringsAt(c, "spec", "accessModes"))
        .orElse(List.of());
  }

  private static List<Map<String, Object>> allContainers(Map<String, Object> pod) {
    List<Map<String, Object>> all = new ArrayList<>(mapsAt(pod, "initContainers"));
    all.addAll(mapsAt(pod, "containers"));
    return all;
  }

  /** The number of a container port given by number or by name. */
  private static Optional<Integer> resolvePort(
      Map<String, Object> container, @Nullable String port) {
    if (port == null) {
      return Optional.empty();
    }
    for (Map<String, Object> declared : mapsAt(container, "ports")) {
      String number = stringAt(declared, "containerPort");
      if (port.equals(number) || port.equals(stringAt(declared, "name"))) {
        return Optional.ofNullable(number).map(Integer::parseInt);
      }
    }
    return Optional.empty();
  }
}
