package dev.bulkhead.build;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The documentation of a configuration PID, taken from the Metatype descriptors ({@code OSGI-INF/metatype/*.xml})
 * of the bundles that designate it, so that a generated {@code etc/*.cfg} explains itself with the same words the
 * component declares.
 */
final class MetatypeDocs {
    private MetatypeDocs() {
    }

    /** Comment lines describing the PID and its attributes, empty when no bundle describes it. */
    static List<String> describe(String pid, List<Path> bundles) throws IOException {
        String designated = pid.contains("~") ? pid.substring(0, pid.indexOf('~')) : pid;
        for (Path jar : bundles) {
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
                    ZipEntry entry = e.nextElement();
                    if (entry.getName().startsWith("OSGI-INF/metatype/") && entry.getName().endsWith(".xml")) {
                        try (InputStream in = zip.getInputStream(entry)) {
                            List<String> lines = describe(designated, parse(in));
                            if (!lines.isEmpty()) {
                                return lines;
                            }
                        }
                    }
                }
            }
        }
        return List.of();
    }

    private static Document parse(InputStream in) throws IOException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return factory.newDocumentBuilder().parse(in);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException("unreadable metatype descriptor: " + e.getMessage(), e);
        }
    }

    private static List<String> describe(String pid, Document doc) {
        String ocdRef = null;
        NodeList designates = doc.getElementsByTagName("Designate");
        for (int i = 0; i < designates.getLength(); i++) {
            Element d = (Element) designates.item(i);
            if (pid.equals(d.getAttribute("pid")) || pid.equals(d.getAttribute("factoryPid"))) {
                NodeList objects = d.getElementsByTagName("Object");
                ocdRef = objects.getLength() == 0 ? null : ((Element) objects.item(0)).getAttribute("ocdref");
            }
        }
        List<String> lines = new ArrayList<>();
        NodeList ocds = doc.getElementsByTagName("OCD");
        for (int i = 0; ocdRef != null && i < ocds.getLength(); i++) {
            Element ocd = (Element) ocds.item(i);
            if (!ocdRef.equals(ocd.getAttribute("id"))) {
                continue;
            }
            lines.add(ocd.getAttribute("name") + " (PID " + pid + "): " + ocd.getAttribute("description"));
            lines.add("");
            NodeList ads = ocd.getElementsByTagName("AD");
            for (int j = 0; j < ads.getLength(); j++) {
                Element ad = (Element) ads.item(j);
                String def = ad.getAttribute("default");
                lines.add(ad.getAttribute("id") + ": " + ad.getAttribute("description")
                        + (def.isEmpty() ? "" : " (default: " + def + ")"));
            }
        }
        return lines;
    }
}
