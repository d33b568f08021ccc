package sdclip.model.image;

import javax.imageio.metadata.IIOMetadata;

import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** The frame's component count, from the JDK's native JPEG metadata (SOF marker). */
final class JpegHeader {
    static final String FORMAT = "javax_imageio_jpeg_image_1.0";

    private JpegHeader() {}

    static int components(IIOMetadata metadata) {
        Node root = metadata.getAsTree(FORMAT);
        Element sof = MetadataTree.child(MetadataTree.child(root, "markerSequence"), "sof");
        if (sof == null) throw new IllegalStateException("no SOF marker in the JPEG metadata");
        return MetadataTree.children(sof, "componentSpec");
    }
}
