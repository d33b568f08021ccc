package sdclip.model.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import sdclip.model.ModelFormatException;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.TextTower;

/**
 * The text projection each encoder runs with when another model lends one (SD 1.x has none of
 * its own). The borrowed projection goes to every encoder without one whose width it takes
 * (with one encoder, to that one even over its own); SDXL's CLIP-L takes CLIP ViT-L/14's and
 * leaves encoder 2 its own. Some encoder must fit it.
 */
public final class ProjectionLoan {
    private final List<TextTower.Tensor> projections = new ArrayList<>();
    private final Checkpoint borrower;
    private final Path lenderPath;
    private final TextTower lent;
    private final boolean fitted;

    private ProjectionLoan(Checkpoint borrower, Path lenderPath, TextTower lent) {
        this.borrower = borrower;
        this.lenderPath = lenderPath;
        this.lent = lent;
        boolean fitted = lent == null;
        List<TextTower> encoders = borrower.encoders();
        for (TextTower tower : encoders) {
            TextTower.Tensor projection = tower.tensors().get("text_projection.weight");
            boolean fits =
                    lent != null && lent.config().width() == tower.config().width();
            if (fits && (projection == null || encoders.size() == 1)) {
                projection = lent.tensor("text_projection.weight");
                fitted = true;
            }
            projections.add(projection);
        }
        this.fitted = fitted;
    }

    /**
     * The projections of {@code borrower}'s encoders, with {@code lender}'s lent where it goes.
     *
     * @param borrower   the model that runs
     * @param lender     the model lending its first text projection, or null for no loan
     * @param lenderPath the lender as it was named, for messages
     * @return the loan; {@link #requireFitted()} says whether any encoder took it
     * @throws IOException when the lender has no text projection
     */
    public static ProjectionLoan of(Checkpoint borrower, Checkpoint lender, Path lenderPath) throws IOException {
        TextTower lent = lender == null
                ? null
                : lender.encoders().stream()
                        .filter(t -> t.config().hasProjection())
                        .findFirst()
                        .orElseThrow(() -> new ModelFormatException(lenderPath, "has no text projection to borrow"));
        return new ProjectionLoan(borrower, lenderPath, lent);
    }

    /**
     * The projection an encoder runs with.
     *
     * @param encoder the encoder's index, from 0
     * @return the lent projection where it goes, else the encoder's own, or null when it has none
     */
    public TextTower.Tensor projection(int encoder) {
        return projections.get(encoder);
    }

    /**
     * Checks that some encoder took the lent projection (always so without a loan).
     *
     * @throws IOException naming the lender, its width and every encoder's, when none took it
     */
    public void requireFitted() throws IOException {
        if (fitted) return;
        List<String> widths = borrower.encoders().stream()
                .map(t -> t.label() + " has width " + t.config().width())
                .toList();
        throw new ModelFormatException(
                lenderPath,
                "its text projection takes width " + lent.config().width() + " but, in " + borrower.path() + ", "
                        + String.join(" and ", widths));
    }
}
