package sdclip.model.image;

import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** Small lookups in ImageIO metadata trees. */
final class MetadataTree {
    private MetadataTree() {}

    /** The first child element with this name, or null (also for a null parent). */
    static Element child(Node parent, String name) {
        if (parent == null) return null;
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(e.getNodeName())) return e;
        }
        return null;
    }

    /** How many child elements have this name. */
    static int children(Node parent, String name) {
        int count = 0;
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling())
            if (name.equals(n.getNodeName())) count++;
        return count;
    }

    /** An integer attribute, or {@code otherwise} when absent. */
    static int intAttribute(Element e, String name, int otherwise) {
        if (e == null || !e.hasAttribute(name)) return otherwise;
        return Integer.parseInt(e.getAttribute(name));
    }
}
