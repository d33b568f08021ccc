package sdclip.model.checkpoint;

import java.util.ArrayList;
import java.util.List;

import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;

/**
 * One single-file layout: the keys that tell it, its family, the phrase {@link Checkpoint#layout()}
 * shows, and the text towers it holds in encoder order. {@link SingleFileLayouts} tries the rules
 * in order; the first whose needs are all met wins.
 *
 * @param family the family
 * @param layout the layout phrase, e.g. {@code sd1 single file}
 * @param needs  what the keys must show, all of it
 * @param towers the text towers, encoder 1 first; none for a vision model
 */
record LayoutRule(Checkpoint.Family family, String layout, List<Need> needs, List<TowerRule> towers) {

    /** A rule for {@code family}, stored as {@code layout}, told by {@code needs}, holding {@code towers}. */
    static LayoutRule rule(Checkpoint.Family family, String layout, List<Need> needs, TowerRule... towers) {
        return new LayoutRule(family, layout, List.copyOf(needs), List.of(towers));
    }

    /** Whether {@code s} meets every need. */
    boolean matches(TensorStore s) {
        for (Need n : needs) if (!n.metBy(s)) return false;
        return true;
    }

    /** Builds the towers in order, encoder {@code i} with {@code heads[i]} when given. */
    List<TextTower> buildTowers(TensorStore s, int[] heads) {
        List<TextTower> built = new ArrayList<>();
        for (TowerRule t : towers) built.add(t.build(s, TowerBuilders.heads(heads, built.size())));
        return built;
    }

    /** Something a store's keys must show. */
    sealed interface Need {
        /** Whether {@code s} shows it. */
        boolean metBy(TensorStore s);
    }

    /** Some key starts with {@code prefix}. */
    record Prefix(String prefix) implements Need {
        public boolean metBy(TensorStore s) {
            return StoreKeys.hasPrefix(s, prefix);
        }
    }

    /** The key {@code name} itself is there. */
    record Key(String name) implements Need {
        public boolean metBy(TensorStore s) {
            return s.has(name);
        }
    }

    /** The tensor {@code name} is 2-D and {@code width} wide (its second dimension): tells towers of one naming apart. */
    record Width(String name, long width) implements Need {
        public boolean metBy(TensorStore s) {
            TensorInfo t = s.info(name);
            return t != null && t.rank() == 2 && t.shape()[1] == width;
        }
    }

    /** {@return a need for some key under {@code prefix}} */
    static Need prefix(String prefix) {
        return new Prefix(prefix);
    }

    /** {@return a need for the key {@code name}} */
    static Need key(String name) {
        return new Key(name);
    }

    /** {@return a need for a 2-D tensor {@code name} that is {@code width} wide} */
    static Need width(String name, long width) {
        return new Width(name, width);
    }

    /**
     * One text tower of a layout.
     *
     * @param naming       how its tensors are named
     * @param openClip     whether OpenCLIP trained it (exact GELU, prompts padded with 0); else OpenAI's QuickGELU, pad 49407
     * @param prefix       the key prefix of its tensors
     * @param projection   the full name of its text projection, taken when the file has it; null for none
     * @param label        what messages call it
     * @param conditioning how the family's conditioning is taken from it
     * @param clipSkip     the family's default clip skip
     */
    record TowerRule(
            Naming naming,
            boolean openClip,
            String prefix,
            String projection,
            String label,
            TextTower.Conditioning conditioning,
            int clipSkip) {

        /** {@return an OpenAI-trained tower in Hugging Face naming} */
        static TowerRule hf(String prefix, String projection, String label) {
            return new TowerRule(
                    Naming.HUGGING_FACE, false, prefix, projection, label, TextTower.Conditioning.FINAL_NORM, 1);
        }

        /** {@return an OpenAI-trained tower in OpenAI naming, its projection {@code <prefix>text_projection}} */
        static TowerRule openAi(String prefix, String label) {
            return new TowerRule(
                    Naming.OPENAI,
                    false,
                    prefix,
                    prefix + "text_projection",
                    label,
                    TextTower.Conditioning.FINAL_NORM,
                    1);
        }

        /** {@return an OpenCLIP-trained tower in OpenAI naming, its projection {@code <prefix>text_projection}} */
        static TowerRule openClip(String prefix, String label) {
            return openAi(prefix, label).trainedByOpenClip();
        }

        /** {@return this tower, trained by OpenCLIP} */
        TowerRule trainedByOpenClip() {
            return new TowerRule(naming, true, prefix, projection, label, conditioning, clipSkip);
        }

        /** {@return this tower, conditioning from the raw penultimate block (SDXL, SD3)} */
        TowerRule penultimate() {
            return new TowerRule(
                    naming, openClip, prefix, projection, label, TextTower.Conditioning.RAW_PENULTIMATE, clipSkip);
        }

        /** {@return this tower with default clip skip {@code k}} */
        TowerRule clipSkip(int k) {
            return new TowerRule(naming, openClip, prefix, projection, label, conditioning, k);
        }

        /** Resolves and checks the tower in {@code s}. */
        TextTower build(TensorStore s, Integer heads) {
            String p = projection != null && s.has(projection) ? projection : null;
            TextTower.Builder b = naming == Naming.HUGGING_FACE
                    ? TowerBuilders.hfTower(s, prefix, p, heads, label)
                    : TowerBuilders.openAiTower(s, prefix, p, heads, label);
            if (openClip) TowerBuilders.trainedByOpenClip(b);
            return b.conditioning(conditioning).clipSkip(clipSkip).build();
        }
    }
}
