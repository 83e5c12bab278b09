package dev.bulkhead.backend.xen.internal;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** Domain XML read back as libvirt reads it: a parsed document, queried by XPath. */
final class ParsedXml {
    private final Document document;

    ParsedXml(String xml) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            document = factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new AssertionError("not well-formed XML: " + e.getMessage() + "\n" + xml, e);
        }
    }

    String text(String xpath) {
        try {
            return (String) XPathFactory.newDefaultInstance().newXPath().evaluate(xpath, document, XPathConstants.STRING);
        } catch (Exception e) {
            throw new AssertionError(xpath, e);
        }
    }

    int count(String xpath) {
        try {
            return ((NodeList) XPathFactory.newDefaultInstance().newXPath().evaluate(xpath, document, XPathConstants.NODESET))
                    .getLength();
        } catch (Exception e) {
            throw new AssertionError(xpath, e);
        }
    }

    /** Every element as its path from the root, with its attributes' names, in document order: the shape, not the data. */
    List<String> structure() {
        List<String> out = new ArrayList<>();
        walk(document.getDocumentElement(), "", out);
        return out;
    }

    private static void walk(Element e, String parent, List<String> out) {
        String path = parent + "/" + e.getTagName();
        StringBuilder line = new StringBuilder(path);
        NamedNodeMap attributes = e.getAttributes();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < attributes.getLength(); i++) {
            names.add(attributes.item(i).getNodeName());
        }
        names.sort(null);
        line.append(names);
        out.add(line.toString());
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element child) {
                walk(child, path, out);
            } else if (n.getNodeType() != Node.TEXT_NODE) {
                out.add(path + "/#" + n.getNodeName());
            }
        }
    }
}
