package sdclip.model.image;

import javax.imageio.metadata.IIOMetadata;

import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** The IHDR facts (and PLTE length) that decide Pillow's mode, from the JDK's native PNG metadata. */
record PngHeader(String colorType, int bitDepth, int paletteEntries) {
    static final String FORMAT = "javax_imageio_png_1.0";

    static PngHeader of(IIOMetadata metadata) {
        Node root = metadata.getAsTree(FORMAT);
        Element ihdr = MetadataTree.child(root, "IHDR");
        if (ihdr == null) throw new IllegalStateException("no IHDR in the PNG metadata");
        Element plte = MetadataTree.child(root, "PLTE");
        int entries = plte == null ? 0 : MetadataTree.children(plte, "PLTEEntry");
        return new PngHeader(ihdr.getAttribute("colorType"), Integer.parseInt(ihdr.getAttribute("bitDepth")), entries);
    }
}
