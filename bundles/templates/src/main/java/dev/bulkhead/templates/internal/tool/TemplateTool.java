package dev.bulkhead.templates.internal.tool;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateManifest;
import dev.bulkhead.templates.internal.Ed25519Keys;
import dev.bulkhead.templates.internal.ManifestSignature;
import dev.bulkhead.templates.internal.Manifests;
import dev.bulkhead.templates.internal.PackageReader;
import dev.bulkhead.templates.internal.PackageWriter;

/**
 * Makes and signs templates outside the platform (bin/template, and the build, which makes the
 * default template with it). Each command prints one line of result or one line of error.
 */
public final class TemplateTool {
    static final String USAGE = String.join("\n",
            "usage: template keygen PREFIX                     make PREFIX.key (private, keep it safe) and PREFIX.pub",
            "       template rootfs [--busybox PATH] [--program PATH]... [--optional-program PATH]... DIR",
            "                                                  build a busybox root from programs of this host",
            "                                                  (an optional program this host lacks is left out)",
            "       template pack --name NAME --version VERSION --key KEY.key --root DIR [--summary TEXT]",
            "                     (KEY.pub must lie beside KEY.key)",
            "                     [--backend NAME]... [--private-size BYTES]",
            "                     [--root-image IMG --kernel VMLINUZ --initramfs INITRD] FILE",
            "                                                  archive and sign a root directory as a template package",
            "       template sign --key KEY.key IN OUT        sign a package again with another key",
            "       template verify [--keys DIR] [--backend NAME] FILE   (keys: etc/template-keys)",
            "                                                  check a package as qvm:template install does");

    private final PrintStream out;

    TemplateTool(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        int status;
        try {
            status = new TemplateTool(System.out).run(args);
        } catch (UsageException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            status = 2;
        } catch (AdminException | IOException e) {
            System.err.println("template: " + e.getMessage());
            status = 1;
        }
        System.exit(status);
    }

    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    int run(String[] args) throws UsageException, IOException {
        if (args.length == 0) {
            throw new UsageException("a command is required");
        }
        Arguments a = new Arguments(args);
        switch (args[0]) {
            case "keygen" -> keygen(Path.of(a.operands(1).get(0)));
            case "rootfs" -> rootfs(a);
            case "pack" -> pack(a);
            case "sign" -> sign(a);
            case "verify" -> {
                return verify(a);
            }
            default -> throw new UsageException("unknown command '" + args[0] + "'");
        }
        return 0;
    }

    private void keygen(Path prefix) throws IOException {
        Path privateFile = Path.of(prefix + ".key");
        Path publicFile = Path.of(prefix + ".pub");
        if (Files.exists(privateFile) || Files.exists(publicFile)) {
            throw new AdminException(privateFile + " or " + publicFile + " exists already; keys are never overwritten");
        }
        KeyPair pair = Ed25519Keys.generate();
        Files.createFile(privateFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(privateFile, Ed25519Keys.pem(pair.getPrivate()), StandardCharsets.US_ASCII);
        Files.writeString(publicFile, Ed25519Keys.pem(pair.getPublic()), StandardCharsets.US_ASCII);
        out.println("key " + Ed25519Keys.id(pair.getPublic()) + ": " + privateFile + " (private), " + publicFile + " (public)");
    }

    private void rootfs(Arguments a) throws IOException, UsageException {
        List<Path> programs = new ArrayList<>();
        for (String p : a.values("--program")) {
            Path program = Path.of(p);
            if (!program.isAbsolute() || !Files.isExecutable(program)) {
                throw new AdminException("program " + p + " is not an executable given by absolute path");
            }
            programs.add(program);
        }
        for (String p : a.values("--optional-program")) {
            Path program = Path.of(p);
            if (program.isAbsolute() && Files.isExecutable(program)) {
                programs.add(program);
            }
        }
        Path root = Path.of(a.operands(1).get(0));
        List<String> packages = new RootfsBuilder(root, new ProcessHostCommands()).build(Path.of(a.value("--busybox", "/bin/busybox")), programs);
        out.println("root " + root + " built from " + (packages.isEmpty() ? "files of this host" : String.join(", ", packages)));
    }

    private void pack(Arguments a) throws IOException, UsageException {
        Path root = Path.of(a.required("--root"));
        Path out = Path.of(a.operands(1).get(0));
        List<String> backends = a.values("--backend").isEmpty() ? List.of("lite") : a.values("--backend");
        Path keyFile = Path.of(a.required("--key"));
        PrivateKey key = Ed25519Keys.readPrivate(keyFile);
        PublicKey publicKey = publicKeyOf(keyFile);
        Path payload = Files.createTempDirectory(out.toAbsolutePath().getParent(), ".template-payload-");
        try {
            // With a VM payload (root image, kernel, initramfs), the root tree is lite's and the VM files the other backends'.
            boolean vm = a.value("--root-image", null) != null;
            List<String> vmBackends = backends.stream().filter(b -> !b.equals("lite")).toList();
            if (vm && (vmBackends.isEmpty() || a.value("--kernel", null) == null || a.value("--initramfs", null) == null)) {
                throw new UsageException("--root-image needs --kernel, --initramfs and a --backend other than lite (qemu)");
            }
            PayloadFile rootfs = PackageWriter.packRoot(root, payload.resolve("root.tar.gz"), "root.tar.gz",
                    vm ? backends.stream().filter(b -> b.equals("lite")).toList() : backends);
            List<PayloadFile> files = new ArrayList<>(List.of(rootfs));
            Map<String, Path> payloadFiles = new LinkedHashMap<>(Map.of(rootfs.name(), payload.resolve(rootfs.name())));
            if (vm) {
                PayloadFile image = PackageWriter.packImage(Path.of(a.value("--root-image", null)), payload.resolve("root.img.gz"),
                        "root.img.gz", vmBackends);
                files.add(image);
                payloadFiles.put(image.name(), payload.resolve(image.name()));
                for (String[] f : new String[][] { { "--kernel", "vmlinuz", PayloadFile.KERNEL },
                        { "--initramfs", "initrd.img", PayloadFile.INITRAMFS } }) {
                    Path file = Path.of(a.value(f[0], null));
                    files.add(PackageWriter.describe(file, f[1], f[2], vmBackends));
                    payloadFiles.put(f[1], file);
                }
            }
            Map<String, Long> sizes = new LinkedHashMap<>();
            if (a.value("--private-size", null) != null) {
                sizes.put("private", Long.parseLong(a.value("--private-size", null)));
            }
            TemplateManifest manifest = new TemplateManifest(TemplateManifest.FORMAT, a.required("--name"), a.required("--version"),
                    a.value("--summary", ""), Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), backends, sizes, files);
            byte[] manifestBytes = Manifests.write(manifest);
            TemplateManifest checked = Manifests.parse(manifestBytes);
            ManifestSignature signature = ManifestSignature.sign(manifestBytes, key, publicKey);
            PackageWriter.writePackage(manifestBytes, signature, payloadFiles, checked, out);
            this.out.println("template " + checked.name() + " " + checked.version() + " signed by " + signature.keyId() + ": " + out);
        } catch (NumberFormatException e) {
            throw new AdminException("--private-size '" + a.value("--private-size", null) + "' is not a number of bytes");
        } finally {
            deleteTree(payload);
        }
    }

    private void sign(Arguments a) throws IOException, UsageException {
        List<String> files = a.operands(2);
        Path in = Path.of(files.get(0));
        Path out = Path.of(files.get(1));
        Path keyFile = Path.of(a.required("--key"));
        PrivateKey key = Ed25519Keys.readPrivate(keyFile);
        PublicKey publicKey = publicKeyOf(keyFile);
        PackageReader.Header header = PackageReader.header(in);
        TemplateManifest manifest = Manifests.parse(header.manifestBytes());
        if (!header.signature().verifies(header.manifestBytes())) {
            throw new AdminException(in + " has a signature that does not match its manifest; it is not signed again");
        }
        Path staging = Files.createTempDirectory(out.toAbsolutePath().getParent(), ".template-sign-");
        try {
            // the payload is taken as it is, after checking it against the manifest it is signed with
            new PackageReader(Map.of(), "none", new PackageReader.Limits(Long.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE))
                    .read(in, manifest.backends().get(0), true, staging, InstallListener.NONE, false);
            Map<String, Path> payload = new LinkedHashMap<>();
            for (PayloadFile f : manifest.files()) {
                payload.put(f.name(), staging.resolve(PackageReader.PAYLOAD).resolve(f.name()));
            }
            ManifestSignature signature = ManifestSignature.sign(header.manifestBytes(), key, publicKey);
            PackageWriter.writePackage(header.manifestBytes(), signature, payload, manifest, out);
            this.out.println("template " + manifest.name() + " " + manifest.version() + " signed by " + signature.keyId() + ": " + out);
        } finally {
            deleteTree(staging);
        }
    }

    private int verify(Arguments a) throws IOException, UsageException {
        Path file = Path.of(a.operands(1).get(0));
        Path keys = Path.of(a.value("--keys", Path.of(System.getProperty("bulkhead.etc", "etc"), "template-keys").toString()));
        Map<String, PublicKey> trusted = Ed25519Keys.trusted(keys);
        Path staging = Files.createTempDirectory(".template-verify-");
        try {
            PackageReader.Checked c = new PackageReader(trusted, keys.toString(),
                    new PackageReader.Limits(Long.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE))
                    .read(file, a.value("--backend", "lite"), false, staging, InstallListener.NONE, isRoot());
            out.println(file + ": OK, template " + c.manifest().name() + " " + c.manifest().version() + " signed by trusted key "
                    + c.signature().keyId());
            return 0;
        } finally {
            deleteTree(staging);
        }
    }

    /** The public half of {@code NAME.key}: {@code NAME.pub} beside it, as keygen writes them. */
    private static PublicKey publicKeyOf(Path privateKey) {
        String name = privateKey.getFileName().toString();
        if (!name.endsWith(".key")) {
            throw new AdminException("key file " + privateKey + " must be named NAME.key, with its public half NAME.pub beside it");
        }
        return Ed25519Keys.readPublic(privateKey.resolveSibling(name.substring(0, name.length() - 4) + ".pub"));
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path tree) throws IOException {
        if (!Files.exists(tree, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(tree)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Options (--name VALUE, repeatable) then operands. */
    private static final class Arguments {
        private final Map<String, List<String>> options = new LinkedHashMap<>();
        private final List<String> operands = new ArrayList<>();

        Arguments(String[] args) throws UsageException {
            for (int i = 1; i < args.length; i++) {
                if (args[i].startsWith("--")) {
                    if (i + 1 >= args.length) {
                        throw new UsageException("option " + args[i] + " needs a value");
                    }
                    options.computeIfAbsent(args[i], k -> new ArrayList<>()).add(args[++i]);
                } else {
                    operands.add(args[i]);
                }
            }
        }

        List<String> operands(int count) throws UsageException {
            if (operands.size() != count) {
                throw new UsageException("expected " + count + " operand(s), found " + operands);
            }
            return operands;
        }

        String value(String option, String absent) {
            List<String> v = options.get(option);
            return v == null ? absent : v.get(v.size() - 1);
        }

        List<String> values(String option) {
            return options.getOrDefault(option, List.of());
        }

        String required(String option) throws UsageException {
            String v = value(option, null);
            if (v == null) {
                throw new UsageException(option + " is required");
            }
            return v;
        }
    }
}
